using System.Collections.Immutable;
using Kekbit.TestSupport;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kekbit.Repository.Tests;

/// <summary>
/// Every C# block of README.md compiles, as a user would paste it into a console project (ImplicitUsings on,
/// nullable on) that references Kekbit.Core, Kekbit.Reactive and System.Reactive. Each block is compiled alone,
/// exactly as written, beside <see cref="Context"/>, which declares the names blocks use without defining them.
/// </summary>
public sealed class ReadmeCompilesTests
{
    /// <summary>
    /// What a block may use without defining it: the variables and helpers the prose around it speaks of.
    /// Imported with <c>global using static</c>, so a block's own locals shadow them.
    /// </summary>
    private const string Context = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        global using static ReadmeContext;

        using System.Threading.Channels;
        using Kekbit.Core;
        using Kekbit.Reactive;

        public sealed record Order(long Id, long Quantity);

        public sealed record Trade(string Symbol, long Quantity);

        internal static class ReadmeContext
        {
            public static string root => "/dev/shm/kekbit";
            public static ulong channelId => 42;
            public static ulong a => 1;
            public static Metadata metadata => Metadata.Create(1, 42, 1 << 20, 1024, 5_000, TickUnit.Millis);
            public static Order order => new(1, 100);
            public static CancellationToken cancellationToken => CancellationToken.None;
            public static ShmWriter writerB => throw new NotSupportedException();
            public static ShmWriter journalWriter => throw new NotSupportedException();
            public static Channel<Order> orders => Channel.CreateUnbounded<Order>();
            public static RecordEncoder<Order> encodeOrder => static (order, output) => output.WriteUInt64LittleEndian((ulong)order.Id);
            public static void Handle(ReadOnlySpan<byte> payload) { }
            public static Trade Decode(ReadOnlySpan<byte> payload) => new("KEK", payload.Length);
            public static bool IsInteresting(Record record) => record.Length > 0;
        }
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (ReadmeSnippet snippet in ReadmeSnippet.Extract(ReadmePath))
        {
            data.Add(snippet.ToString());
        }

        return data;
    }

    private static string ReadmePath => Path.Combine(Fixtures.RepoRoot, "README.md");

    [Fact]
    public void README_has_the_csharp_blocks_this_test_compiles()
    {
        // Guards the extraction itself: a change of fence style must not leave this test compiling nothing.
        Assert.True(ReadmeSnippet.Extract(ReadmePath).Count >= 3);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void README_block_compiles(string block)
    {
        ReadmeSnippet snippet = ReadmeSnippet.Extract(ReadmePath).Single(s => s.ToString() == block);

        List<string> problems = Compile(snippet);

        Assert.True(problems.Count == 0, $"README.md's C# block at line {snippet.Line} does not compile:\n{string.Join('\n', problems)}\n--- the block ---\n{snippet.Code}");
    }

    [Fact]
    public void A_block_that_does_not_compile_is_reported()
    {
        // The check itself can fail: the README's old handlers snippet had a static field in top-level code.
        var broken = new ReadmeSnippet("README.md", 1, """
            static readonly RecordEncoder<Order> OrderEncoder = static (order, output) =>
                BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), order.Id);
            """);

        List<string> problems = Compile(broken);

        Assert.Contains(problems, p => p.StartsWith("README.md(1,1): error CS0106", StringComparison.Ordinal));
    }

    /// <summary>Compiles a block as the main file of a console program; returns its errors and warnings.</summary>
    private static List<string> Compile(ReadmeSnippet snippet)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        // #line maps the diagnostics to README's own lines.
        SyntaxTree code = CSharpSyntaxTree.ParseText($"#line {snippet.Line} \"{snippet.File}\"\n{snippet.Code}\n", parseOptions, path: snippet.File);
        SyntaxTree context = CSharpSyntaxTree.ParseText(Context, parseOptions, path: "ReadmeContext.cs");
        // CS1701/CS1702 (a reference built against an older runtime) are off in every SDK project too.
        var options = new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]);
        CSharpCompilation compilation = CSharpCompilation.Create("ReadmeSnippet", [context, code], References.Value, options);

        using var output = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(output);
        return result.Diagnostics
            .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
            .Select(d => d.ToString())
            .ToList();
    }

    /// <summary>The assemblies this test runs with: the .NET runtime, Kekbit.Core, Kekbit.Reactive, System.Reactive.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string paths = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
            ?? throw new InvalidOperationException("The runtime did not give its trusted platform assemblies.");
        return [.. paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    }
}
