package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where the numbers were taken: the CPU model, the
// cores Go sees and the Go version.
func machine() string {
	return cpuModel() + ", " + strconv.Itoa(runtime.NumCPU()) + " cores, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

// selfCPU returns the user and system time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfMaxRSS returns this process's peak resident set size in bytes.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

// loadAvg returns the one-minute load average, or -1 when unknown.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return -1
	}
	return v
}

// loadNote says how busy the machine was at the start and the end of the
// suite, and warns when other processes competed for the CPU.
func loadNote(start, end float64) string {
	note := fmt.Sprintf("load average (1 min): %.2f at the start, %.2f at the end", start, end)
	if max(start, end) > float64(runtime.NumCPU())/2 {
		note += "; other processes were competing for the CPU, so wall times (and calls/s) are worse than on an idle machine, CPU times less so"
	}
	return note + "."
}
