// Command bench measures promptform end to end and prints one table.
//
// It builds promptform, serves a zero-latency fake gateway
// (gateway/gatewaytest) in its own process, writes configurations of one
// step with count = N into temporary directories, and runs promptform
// against them as a subprocess, reading the child's wall time, CPU time
// (user + system) and peak resident set size from its rusage. A minimal Go
// HTTP client sending the same request bodies to the same fake gives the
// ceiling that apply's throughput is compared with.
//
// Run it from the repository root with bench/run (or go run ./bench);
// -quick runs smaller sizes. It reads rusage as Linux reports it (peak RSS
// in KiB) and the machine from /proc. It never changes the repository: it
// writes only to a temporary directory, which it removes.
//
// The Go benchmarks in bench_test.go measure the hot functions of plan and
// apply without subprocesses, for benchstat and for profiles (promptform
// itself has no profiling flag):
//
//	go test ./bench -run '^$' -bench . -benchmem -count 6 > new.txt
//	benchstat old.txt new.txt
//	go test ./bench -run '^$' -bench Plan10kRecorded -cpuprofile cpu.out
//	go tool pprof -top -cum bench.test cpu.out
package main
