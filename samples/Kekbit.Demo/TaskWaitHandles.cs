namespace Kekbit.Demo;

/// <summary>Lets a thread wait for a task together with other wait handles.</summary>
internal static class TaskWaitHandles
{
    public static WaitHandle AsyncWaitHandle(this Task task) => ((IAsyncResult)task).AsyncWaitHandle;
}
