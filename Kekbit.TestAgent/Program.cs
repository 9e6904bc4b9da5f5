// A child process for cross-process tests. Commands (all print progress lines on stdout, flushed):
//   write ROOT CHANNEL_ID COUNT [--size N] [--every N] [--no-close | --close-on-line] [--capacity N] [--timeout-ms N] [--wait-go]
//         [--file-mode OCTAL] [--folder-mode OCTAL]
//       creates the channel (after reading a line "go" on stdin with --wait-go, so that several processes can
//       be released at once), prints "READY", writes COUNT pattern records (RecordPattern), printing
//       "PUBLISHED n" every --every records (default 1000) and at the end, then "WRITTEN count=.. checksum=..",
//       "DONE", and closes, printing "CLOSED" (unless --no-close, in which case it waits for its standard input
//       to close before exiting without closing; with --close-on-line it closes once it reads a line). A creation that fails prints "ERROR <ChannelError> <message>"
//       and exits with code 3.
//   read ROOT CHANNEL_ID [--open-timeout-ms N] [--dump] [--every N]
//       prints "OPENING", opens the channel when ready (retrying while it does not exist), prints "OPENED", reads until closed/timeout/failure with a TimeoutReader, checking every
//       record is intact and in order (printing "READING n" every --every records when given); prints
//       "READ count=.. checksum=.. end=.. position=.. intact=true|false". An open that fails prints "ERROR ..." (exit 3).
//   tamper ROOT CHANNEL_ID
//       opens a reader, prints "OPENED", then casts a record's read-only payload to writable memory and writes
//       to it: the read-only mapping must make the process die rather than change the channel.
//   pipe ROOT IN OUT [--open-timeout-ms N] [--keep-every K]
//       middleware: opens channel IN when ready, creates channel OUT (same capacity and max record length),
//       prints "READY", and pipes IN into OUT through Rx operators (keeping the pattern records whose index is a
//       multiple of K, default 1); OUT is closed when IN closes. Prints "PIPED count=N", or "PIPE-FAILED error".
//   echo ROOT IN OUT [--writer-fence] [--async]
//       doorbell ping-pong: opens channel IN when ready, creates channel OUT, prints "READY doorbell=True|False", then
//       waits on IN's doorbell (ShmReader.WaitForData) and copies each record of IN to OUT until IN closes; closes OUT and
//       prints "ECHOED count=.. sleeps=.. timeoutWakeups=.. wakes=.. writerFence=..". --writer-fence: OUT's writer fences
//       before each waiter check (the symmetric doorbell protocol) instead of relying on membarrier. --async: waits with
//       ShmReader.WaitForDataAsync (the process-wide waiter) instead.
//   sleep ROOT CHANNEL_ID [--async]
//       opens the channel when ready, prints "WAITING doorbell=..", blocks in WaitForData with no timeout (--async: awaits
//       WaitForDataAsync), then prints "WOKEN <first 8 payload bytes as u64>" (or "WOKEN <status>").
using Kekbit.TestAgent;

return args.Length > 0 ? args[0] switch
{
    "write" => AgentCommands.Guard(() => WriteCommand.Run(new AgentArgs(args))),
    "read" => AgentCommands.Guard(() => ReadCommand.Run(new AgentArgs(args))),
    "tamper" => AgentCommands.Guard(() => TamperCommand.Run(new AgentArgs(args))),
    "echo" => AgentCommands.Guard(() => DoorbellCommand.Echo(new AgentArgs(args))),
    "sleep" => AgentCommands.Guard(() => DoorbellCommand.Sleep(new AgentArgs(args))),
    "pipe" => AgentCommands.Guard(() => PipeCommand.Run(new AgentArgs(args))),
    _ => AgentCommands.Usage(),
} : AgentCommands.Usage();
