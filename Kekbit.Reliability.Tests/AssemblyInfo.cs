// The scenarios start real processes, mount file systems and time readers out: run them one test at a
// time, so that on a 2-core CI machine they do not starve each other into false timeouts.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

// The scenarios are about Unix: SIGKILL, tmpfs mounts, file modes, /proc/self/maps.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
