package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// What /proc tells about the server process pid (on this machine).

// procCPU is the CPU time (user and system) of process pid so far.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return statCPU(b)
}

// namedCPU is the CPU time so far of every process whose command name is
// name ("postgres": the database server's processes, one per connection),
// with that of their children that ended (a connection closed during
// the run counts in its parent's).
func namedCPU(name string) time.Duration {
	if name == "" {
		return 0
	}
	if len(name) > 15 {
		name = name[:15] // the kernel keeps 15 bytes of a command's name
	}
	dirs, _ := os.ReadDir("/proc")
	var sum time.Duration
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		if b, err := os.ReadFile("/proc/" + d.Name() + "/stat"); err == nil {
			sum += statCPU(b) + statChildrenCPU(b)
		}
	}
	return sum
}

// statCPU reads utime and stime from the text of /proc/PID/stat (fields
// 14 and 15), statChildrenCPU cutime and cstime (16 and 17): the times
// of the children waited for.
func statCPU(b []byte) time.Duration         { return statTicks(b, 11) }
func statChildrenCPU(b []byte) time.Duration { return statTicks(b, 13) }

// statTicks adds the two clock-tick fields from i on of /proc/PID/stat,
// counted after the command name (in parentheses, which may hold spaces).
func statTicks(b []byte, i int) time.Duration {
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < i+2 {
		return 0
	}
	u, _ := strconv.ParseInt(f[i], 10, 64)
	st, _ := strconv.ParseInt(f[i+1], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(u+st) * time.Second / ticks
}

func resetPeak(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func peakRSS(pid int) string {
	kb, err := procStatus(pid, "VmHWM")
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
}

// procStatus reads one number of /proc/PID/status ("VmRSS" in kB,
// "Threads" a count).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// openFiles counts the open file descriptors of pid (/proc/PID/fd).
func openFiles(pid int) (int64, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return int64(len(fds)), err
}
