package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smaller sizes, for a fast check: "+describe(quickSizes))
	repeat := flag.Int("repeat", 3, "runs of each small case; the table shows the run with the median wall time")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: bench/run [-quick] [-repeat=N]\n\n"+
			"Measures promptform against an in-process fake gateway and prints one table.\n"+
			"Full sizes: %s.\n\n", describe(fullSizes))
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *repeat < 1 {
		flag.Usage()
		os.Exit(2)
	}
	sz := fullSizes
	if *quick {
		sz = quickSizes
	}
	if err := run(sz, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run builds promptform, runs every case and prints the table.
func run(sz sizes, repeat int) error {
	start, load := time.Now(), loadAvg()
	tmp, err := os.MkdirTemp("", "promptform-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := build(tmp)
	if err != nil {
		return err
	}
	s := &suite{bin: bin, tmp: tmp, repeat: repeat, load: load}
	err = s.cases(sz)
	if len(s.rows) > 0 {
		s.print(time.Since(start))
	}
	return err
}

// cases runs the cases in order: the ceiling needs apply's requests, and
// the apply at scale runs last, being the longest.
func (s *suite) cases(sz sizes) error {
	rate, err := s.applyAndCeiling(sz.calls)
	if err != nil {
		return err
	}
	if err := s.reapply(sz.reapply, rate, sz.big == 0); err != nil {
		return err
	}
	for _, n := range sz.plans {
		if err := s.plan(n); err != nil {
			return err
		}
	}
	if sz.big == 0 {
		return nil
	}
	return s.bigApply(sz.big, rate)
}

// print writes the table, the machine and the notes to stdout.
func (s *suite) print(took time.Duration) {
	fmt.Println()
	_ = printTable(os.Stdout, s.rows)
	fmt.Println()
	fmt.Println("machine:", machine())
	fmt.Println(loadNote(s.load, loadAvg()))
	fmt.Println("promptform:", revision())
	fmt.Printf("apply runs with -parallelism=%d against a zero-latency fake gateway in the bench process; "+
		"plan fetches the fake's model catalog (not -offline).\n", parallelism)
	fmt.Println("* the ceiling's CPU is the bench process's own: the Go client and the fake gateway together.")
	for _, n := range s.notes {
		fmt.Println(n)
	}
	fmt.Printf("bench process peak RSS (fake gateway, which keeps every request): %s; suite took %s.\n",
		mebibytes(selfMaxRSS()), took.Round(time.Second))
}

// describe lists the sizes of a run, for the usage message.
func describe(sz sizes) string {
	text := fmt.Sprintf("apply and ceiling %s calls, apply and re-apply %s, plan", short(sz.calls), short(sz.reapply))
	for _, n := range sz.plans {
		text += " " + short(n)
	}
	if sz.big > 0 {
		text += ", apply " + short(sz.big)
	}
	return text
}
