package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// The clock ticks of /proc/PID/stat are read after the command name,
// which may hold spaces and parentheses.
func TestStatTicks(t *testing.T) {
	line := []byte("4242 (post gres) (x)) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 30 20 20 0 1 0 100 0 0")
	if got := statCPU(line); got != 3*time.Second {
		t.Errorf("utime+stime: %v", got)
	}
	if got := statChildrenCPU(line); got != 500*time.Millisecond {
		t.Errorf("cutime+cstime: %v", got)
	}
	if got := statCPU([]byte("1 (short) S 1")); got != 0 {
		t.Errorf("a cut line: %v", got)
	}
}

// namedCPU adds the CPU time of the processes of one name: a process
// that burns CPU under a name of its own is counted, other names not.
func TestNamedCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	burner := dir + "/pfortebusy"
	if err := os.Symlink(sh, burner); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(burner, "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for namedCPU("pfortebusy") < 50*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("a busy process's CPU not counted: %v", namedCPU("pfortebusy"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := namedCPU("pforte-no-such-process"); got != 0 {
		t.Errorf("no process of that name: %v", got)
	}
	if namedCPU("") != 0 {
		t.Error("no name: no time")
	}
}
