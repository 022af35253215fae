package main

import (
	"fmt"
	"strconv"
	"time"
)

// seconds formats a duration in seconds with three significant digits.
func seconds(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	default:
		return fmt.Sprintf("%.2f s", s)
	}
}

// perCall formats a small duration in milliseconds.
func perCall(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// mebibytes formats a size in MiB, or in GiB from 1 GiB on.
func mebibytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// itoa is strconv.Itoa.
func itoa(n int) string {
	return strconv.Itoa(n)
}

// short names a size as 2k, 10k or 100k, and other sizes in full.
func short(n int) string {
	if n >= 1000 && n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// megabytes formats a size in MB (10^6 bytes), as file sizes are usually
// read.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// bytesPer formats n bytes over k items.
func bytesPer(n int64, k int) string {
	return fmt.Sprintf("%d bytes", n/int64(max(k, 1)))
}
