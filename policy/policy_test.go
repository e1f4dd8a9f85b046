package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestCheck(t *testing.T) {
	p := Default()
	cases := []struct {
		name, password, email string
		want                  []string
	}{
		{"good", "Zugspitze7#Blau", "", nil},
		{"too short", "Ab1!efghijk", "", []string{"min-length"}},
		{"exactly min", "Ab1!efghijkl", "", nil},
		{"no upper", "zugspitze7#blau", "", []string{"upper"}},
		{"no lower", "ZUGSPITZE7#BLAU", "", []string{"lower"}},
		{"no digit", "Zugspitze#Blau", "", []string{"digit"}},
		{"no special", "Zugspitze7Blau", "", []string{"special"}},
		{"empty", "", "", []string{"min-length", "upper", "lower", "digit", "special"}},
		{"several at once", "kurz", "", []string{"min-length", "upper", "digit", "special"}},

		// Unicode classes.
		{"Ä is upper", "äöü7#blaugrün", "", []string{"upper"}},
		{"Ä fulfils upper", "Äöü7#blaugrün", "", nil},
		{"ß is lower", "ZUGSPITZE7#ß", "", nil},
		{"ß alone is no upper", "ßßßßßßßßßßß7#", "", []string{"upper"}},
		{"Arabic-Indic digits", "Zugspitze٣#Blau", "", nil},
		{"Devanagari digit", "Zugspitze९#Blau", "", nil},
		{"superscript is no digit", "Zugspitze²#Blau", "", []string{"digit"}},
		{"emoji is special", "Zugspitze7🙂Blau", "", nil},
		{"space is special", "Zugspitze 7 Blau", "", nil},
		{"euro sign is special", "Zugspitze7€Blau", "", nil},
		{"CJK letters count no class", "パスワード7#Aaaaaaa", "", nil},

		// Length after NFC, never trimmed.
		{"NFD Ä is one char", "A\u0308bcdefgh1#x", "", []string{"min-length"}},
		{"NFC Ä", "\u00c4bcdefgh1#x", "", []string{"min-length"}},
		{"NFD and enough", "A\u0308bcdefgh1#xy", "", nil},
		{"leading and trailing space count", " Abcdefgh1# ", "", nil},
		{"spaces not trimmed to short", " Abcdefg1# ", "", []string{"min-length"}},
		{"128 accepted", "Aa1!" + strings.Repeat("x", 124), "", nil},
		{"129 refused", "Aa1!" + strings.Repeat("x", 125), "", []string{"max-length"}},
		{"128 umlauts accepted", "Aa1!" + strings.Repeat("ä", 124), "", nil},
		{"128 NFD umlauts accepted", "Aa1!" + strings.Repeat("a\u0308", 124), "", nil},

		// Control and format characters, and bytes that are not UTF-8.
		{"tab", "Zugspitze7#\tBlau", "", []string{"control"}},
		{"newline", "Zugspitze7#\nBlau", "", []string{"control"}},
		{"NUL", "Zugspitze7#\x00Blau", "", []string{"control"}},
		{"zero width space", "Zugspitze7#\u200bBlau", "", []string{"control"}},
		{"soft hyphen", "Zugspitze7#\u00adBlau", "", []string{"control"}},
		{"right-to-left override", "Zugspitze7#\u202eBlau", "", []string{"control"}},
		{"line separator", "Zugspitze7#\u2028Blau", "", []string{"control"}},
		{"invalid UTF-8", "Zugspitze7#\xffBlau", "", []string{"control"}},
		{"control alone is no special", "Zugspitze7\tBlau", "", []string{"special", "control"}},

		// Common passwords, whole and in any case.
		{"Password123!", "Password123!", "", []string{"common"}},
		{"PASSWORD123!", "PASSWORD123!", "", []string{"lower", "common"}},
		{"pAsSwOrD123!", "pAsSwOrD123!", "", []string{"common"}},
		{"Passwort2024!", "Passwort2024!", "", []string{"common"}},
		{"Sommer2025!!", "Sommer2025!!", "", []string{"common"}},
		{"Willkommen123!", "Willkommen123!", "", []string{"common"}},
		{"Frühling2024!", "Frühling2024!", "", []string{"common"}},
		{"Frühling NFD", "Fru\u0308hling2024!", "", []string{"common"}},
		{"P@ssw0rd1234", "P@ssw0rd1234", "", []string{"common"}},
		{"common only whole", "Password123!Zugspitze", "", nil},

		// Context: the address or its local part.
		{"contains address", "x1!Meister@Example.DE", "meister@example.de", []string{"context"}},
		{"contains local part", "Zugspitze7#Meister", "meister@example.de", []string{"context"}},
		{"local part case-insensitive", "Zugspitze7#MEISTER", "Meister@example.de", []string{"context"}},
		{"local part NFD", "Zugspitze7#Ju\u0308rgen", "jürgen@example.de", []string{"context"}},
		{"short local part ignored", "Zugspitze7#Blau", "bl@example.de", nil},
		{"short local part, address used", "Zugsp7#bl@example.de", "bl@example.de", []string{"context"}},
		{"three-char local part", "Zugspitze7#Bob", "bob@example.de", []string{"context"}},
		{"domain alone is fine", "Zugspitze7#example", "meister@example.de", nil},
		{"no email, no context", "Zugspitze7#Meister", "", nil},
		{"email with spaces", "Zugspitze7#Meister", " meister@example.de ", []string{"context"}},

		{"everything at once", "\tpassword", "password@x.de", []string{"min-length", "upper", "digit", "special", "control", "context"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := p.Check(c.password, c.email)
			if !slices.Equal(got, c.want) {
				t.Errorf("Check(%q, %q) = %q, want %q", c.password, c.email, got, c.want)
			}
		})
	}
}

func TestEveryListedSpecial(t *testing.T) {
	p := Default()
	for _, r := range "!@#$%^&*()_+-={};:<>/?~.,|[]\"'\\ `§€°" {
		if got := p.Check("Zugspitze7Blau"+string(r), ""); got != nil {
			t.Errorf("%q: %q, want special", r, got)
		}
	}
}

func TestConfigured(t *testing.T) {
	loose := Policy{MinLength: 8, MaxLength: 64}
	if got := loose.Check("zugspitze", ""); got != nil {
		t.Errorf("loose policy refused: %q", got)
	}
	if got := loose.Check("password123!", ""); got != nil {
		t.Errorf("common is off, yet %q", got)
	}
	if got := loose.Check("zug\tspitze", ""); !slices.Equal(got, []string{"control"}) {
		t.Errorf("control cannot be switched off, got %q", got)
	}
	ids := func(rs []RuleInfo) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got, want := ids(loose.Rules()), []string{"min-length", "max-length", "control"}; !slices.Equal(got, want) {
		t.Errorf("Rules() = %q, want %q", got, want)
	}
	want := []string{"min-length", "max-length", "upper", "lower", "digit", "special", "control", "common", "context"}
	if got := ids(Default().Rules()); !slices.Equal(got, want) {
		t.Errorf("Rules() = %q, want %q", got, want)
	}
}

func TestLabels(t *testing.T) {
	p := Default()
	for _, r := range p.Rules() {
		if r.Label == r.ID || r.Label == "" {
			t.Errorf("rule %s has no label", r.ID)
		}
		if r.Server != (r.ID == RuleCommon) {
			t.Errorf("rule %s: Server = %v", r.ID, r.Server)
		}
	}
	for id, want := range map[string]string{
		RuleMinLength: "Mindestens 12 Zeichen",
		RuleMaxLength: "Höchstens 128 Zeichen",
		RuleUpper:     "Mindestens ein Großbuchstabe (A–Z, Ä, Ö, Ü …)",
		RuleReused:    "Anders als Ihr bisheriges Passwort",
		"no-such":     "no-such",
	} {
		if got := p.Label(id); got != want {
			t.Errorf("Label(%q) = %q, want %q", id, got, want)
		}
	}
	if got := (Policy{MinLength: 8}).Label(RuleMinLength); got != "Mindestens 8 Zeichen" {
		t.Errorf("label ignores MinLength: %q", got)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		p  Policy
		ok bool
	}{
		{Default(), true},
		{Policy{MinLength: 1, MaxLength: 1}, true},
		{Policy{MinLength: 8, MaxLength: 1024}, true},
		{Policy{}, false},
		{Policy{MinLength: 0, MaxLength: 10}, false},
		{Policy{MinLength: 12, MaxLength: 11}, false},
		{Policy{MinLength: 12, MaxLength: 1025}, false},
	}
	for _, c := range cases {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", c.p, err, c.ok)
		}
	}
}

func TestBrowserJSON(t *testing.T) {
	p := Default()
	raw := p.BrowserJSON()
	if strings.ContainsAny(string(raw), "<>&") {
		t.Errorf("JSON not safe inside <script>: %s", raw)
	}
	var got struct {
		MinLength, MaxLength int
		Rules                []RuleInfo
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.MinLength != 12 || got.MaxLength != 128 || !slices.Equal(got.Rules, p.Rules()) {
		t.Errorf("BrowserJSON = %s", raw)
	}
}

// TestCommonList checks the shipped list: sorted as the lookup needs, folded
// as Check folds, within size, and only passwords the class rules would let
// through (others need no list).
func TestCommonList(t *testing.T) {
	if len(commonList) > 2<<20 {
		t.Errorf("list is %d bytes, keep it under 2 MiB", len(commonList))
	}
	if !strings.HasSuffix(commonList, "\n") {
		t.Error("list does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(commonList, "\n"), "\n")
	if len(lines) != len(commonIndex()) {
		t.Errorf("index has %d entries, list %d", len(commonIndex()), len(lines))
	}
	if !slices.IsSorted(lines) {
		t.Error("list is not sorted bytewise")
	}
	for i, l := range lines {
		if l != fold(l) || utf8.RuneCountInString(l) < 8 {
			t.Fatalf("line %d %q is not folded or shorter than 8", i+1, l)
		}
		if i > 0 && lines[i-1] == l {
			t.Fatalf("line %d %q is a duplicate", i+1, l)
		}
		if !isCommon(l) {
			t.Fatalf("line %d %q not found", i+1, l)
		}
	}
	for _, s := range []string{"", "a", "zzzzzzzzzzzzzzzz", "password123", "password123!x"} {
		if isCommon(s) {
			t.Errorf("isCommon(%q) = true", s)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "Password123!", "Zugspitze7#Blau", "A\u0308bcdefgh1#x", "Zug\tspitze7#", "\xff\xfe", "x@y.de", "Ju\u0308rgen7#Meister"} {
		f.Add(s, "meister@example.de")
	}
	known := map[string]bool{}
	for _, r := range Default().Rules() {
		known[r.ID] = true
	}
	f.Fuzz(func(t *testing.T, password, email string) {
		p := Default()
		got := p.Check(password, email)
		last := -1
		for _, id := range got {
			if !known[id] {
				t.Fatalf("unknown rule %q", id)
			}
			i := slices.IndexFunc(p.Rules(), func(r RuleInfo) bool { return r.ID == id })
			if i <= last {
				t.Fatalf("rules out of order or repeated: %q", got)
			}
			last = i
		}
		n := utf8.RuneCountInString(norm.NFC.String(password))
		if got == nil && (n < p.MinLength || n > p.MaxLength || !utf8.ValidString(password)) {
			t.Fatalf("%q passed with %d characters", password, n)
		}
		if slices.Contains(got, RuleMinLength) != (n < p.MinLength) {
			t.Fatalf("min-length wrong for %d characters: %q", n, got)
		}
		if email == "" && slices.Contains(got, RuleContext) {
			t.Fatal("context without email")
		}
		// Checking is pure: the same input gives the same answer.
		if again := p.Check(password, email); !slices.Equal(got, again) {
			t.Fatalf("Check not deterministic: %q then %q", got, again)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	p := Default()
	passwords := []string{"Zugspitze7#Blau", "Password123!", "kurz", "Frühling2024!", "correct horse battery staple 7A"}
	isCommon("") // load the list outside the timing
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Check(passwords[i%len(passwords)], "meister@example.de")
	}
}

// BenchmarkCommonLoad measures what the first common check pays once.
func BenchmarkCommonLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		indexCommon()
	}
}
