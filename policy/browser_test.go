package policy

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestBrowserAgrees runs web/static/policy.js in Node on the same passwords as
// Check and demands the same verdict on every rule the browser judges, so the
// checklist never shows a rule as met that the server refuses.
func TestBrowserAgrees(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is required under CI: it runs policy.js against the Go check")
		}
		t.Skip("node not installed: skipping the comparison of policy.js with the Go check")
	}
	type sample struct{ Password, Email string }
	var samples []sample
	for _, pw := range []string{"", "Zugspitze7#Blau", "äöü7#blaugrün", "ZUGSPITZE7#ß", "Zugspitze٣#Blau",
		"Zugspitze²#Blau", "Zugspitze7🙂Blau", " Abcdefgh1# ", "A\u0308bcdefgh1#x", "パスワード7#Aaaaaaa",
		"Zugspitze7#\u200bBlau", "Zugspitze7#\u2028Blau", "Zugspitze7#\tBlau", "Zugspitze7#Ju\u0308rgen",
		"x1!MEISTER@example.DE", "ΣΊΣΥΦΟΣ7#meister", "İstanbul7#Meister", strings.Repeat("Aa1!", 32) + "x"} {
		for _, email := range []string{"", "meister@example.de", "jürgen@example.de", "bl@example.de", "σίσυφος@example.gr", "i̇stanbul@x.tr"} {
			samples = append(samples, sample{pw, email})
		}
	}
	// Random text across scripts, marks, symbols, controls and emoji.
	alphabet := []rune("aZäÄßẞ09٣९²½Ⅻ !#€§.\t\n\u00ad\u200b\u200d\u2028\ufeff\u0301\u0308\u0345\u0344ΣσςİıǅパスーДжﬁ🙂🇩🇪\U000E0001\uE000\uFFFD")
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		b := make([]rune, r.IntN(20))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		samples = append(samples, sample{string(b), string(b[:len(b)/2]) + "@x.de"})
	}
	in, _ := json.Marshal(map[string]any{"policy": json.RawMessage(Default().BrowserJSON()), "samples": samples})

	cmd := exec.Command(node, "-e", `
const vm = require("vm"), fs = require("fs");
const ctx = {document: {addEventListener() {}}};
vm.runInNewContext(fs.readFileSync("../web/static/policy.js", "utf8"), ctx);
const {policy, samples} = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(samples.map(s => ctx.pforteJudge(policy, s.Password, s.Email))));`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var verdicts []map[string]any
	if err := json.Unmarshal(out, &verdicts); err != nil {
		t.Fatal(err)
	}
	p := Default()
	for i, s := range samples {
		broken := map[string]bool{}
		for _, id := range p.Check(s.Password, s.Email) {
			broken[id] = true
		}
		for _, rule := range p.Rules() {
			got := verdicts[i][rule.ID]
			if rule.Server {
				if got != "unknown" {
					t.Errorf("%q: browser judged server rule %s: %v", s.Password, rule.ID, got)
				}
				continue
			}
			if got != !broken[rule.ID] {
				t.Errorf("Check(%q, %q) [% x]: rule %s broken=%v on the server, browser says ok=%v",
					s.Password, s.Email, []byte(s.Password), rule.ID, broken[rule.ID], got)
			}
		}
	}
	if !utf8.ValidString(string(in)) {
		t.Fatal("samples must be valid UTF-8, as a browser sends")
	}
}
