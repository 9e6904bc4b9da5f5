using Kekbit.TestSupport;

namespace Kekbit.Reactive.Tests;

public sealed class CrossProcessTests
{
    private static readonly TimeSpan ProcessPatience = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_middleware_process_pipes_a_writer_process_channel_through_Rx_into_a_channel_this_process_reads()
    {
        using var root = new TempRoot("kekbit-middleware");
        using ChildProcess writer = ChildProcess.StartAgent("write", root.Path, "1", "20000", "--size", "48");
        using ChildProcess middleware = ChildProcess.StartAgent("pipe", root.Path, "1", "2", "--keep-every", "2");
        var observer = new RecordingObserver();
        PollingOptions options = Gentle.Polling with { OpenTimeout = ProcessPatience };

        using (KekbitObservable.FromChannel(root.Path, 2, options).Subscribe(observer))
        {
            observer.WaitForEnd();
        }

        Assert.True(observer.Completed, $"{observer.Error}\nmiddleware: {middleware.StandardOutput}{middleware.StandardError}");
        observer.AssertSequence(0, 10_000, step: 2);
        Assert.Equal(0, writer.WaitForExit(ProcessPatience));
        Assert.Equal(0, middleware.WaitForExit(ProcessPatience));
        Assert.Contains("PIPED count=10000", middleware.StandardOutput, StringComparison.Ordinal);
    }
}
