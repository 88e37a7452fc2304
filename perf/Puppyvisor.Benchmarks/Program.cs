// Micro-benchmarks (BenchmarkDotNet). Run: dotnet run -c Release --project perf/Puppyvisor.Benchmarks
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Puppyvisor.Benchmarks.InterpreterBenchmarks).Assembly).Run(args);
