// The scenarios start real processes, mount file systems and time readers out: run them one class at a
// time, so that on a 2-core CI machine they do not starve each other into false timeouts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
