// Command gencommon writes Pforte's own list of common passwords
// (policy/common-passwords.txt). It copies no one's list: it combines words
// people in German and English-speaking workplaces use with the habits that
// composition rules breed ("Sommer2024!", "Passwort123!", "P@ssw0rd"), and
// keeps only the passwords that would pass every class rule, since only those
// need the common rule to refuse them. It keeps those of eight characters or
// more, so that bodies with a shorter minimum length are covered too.
//
// Run it with go generate in policy/. It imports the policy package to judge
// the classes, so the list can never disagree with the rules; the list it
// replaces must exist (an empty file will do) for that to compile.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"pforte/policy"
)

// top are the words most used as passwords at work and at home; they get
// every number and symbol habit.
var top = words(`
passwort password kennwort passwd geheim secret sommer summer winter herbst
autumn frühling fruehling frühjahr spring willkommen welcome hallo hello
qwertz qwerty asdfgh admin administrator handwerk handwerker meister
kundenportal portal firma betrieb start login test schalke bayern borussia
deutschland germany januar februar märz maerz april mai juni juli august
september oktober november dezember january february march may june july
october december montag freitag sonntag monday friday sunday liebe love
sonnenschein sunshine fussball fußball football zugang benutzer user
changeme neustart kammer hwk service office büro buero`)

// bases are further words: names, clubs, places, trades, keyboard walks.
var bases = words(`
dienstag mittwoch donnerstag samstag sonnabend tuesday wednesday thursday
saturday
weihnachten ostern pfingsten silvester christmas easter urlaub holiday ferien
familie family mama papa oma opa baby kinder zuhause home haus garten
schatz schatzi mausi maus hase hasi engel angel teufel devil stern star
himmel heaven sonne mond blume katze kater hund hunde pferd tiger löwe loewe
adler dragon monkey master princess shadow letmein freedom mustang superman
batman iloveyou ichliebedich trustno computer internet online server system
intern extern sicher sicherheit security secure access default gast guest
abc abcd abcdef abcdefg abcdefgh servus moin hey hi tschüss tschuess
gutentag guten morgen abend nacht mallorca spanien italien berlin hamburg
münchen muenchen köln koeln frankfurt stuttgart düsseldorf duesseldorf
dresden leipzig hannover bremen nürnberg nuernberg essen bochum bonn münster
muenster aachen kiel rostock erfurt mainz freiburg augsburg karlsruhe
mannheim wiesbaden kassel bielefeld potsdam magdeburg schwerin saarbrücken
europa pizza bier kaffee schokolade chocolate cookie pumpkin tigger power
killer hunter ranger pokemon minecraft fortnite starwars matrix harley
ferrari porsche mercedes audi volkswagen bmw opel skoda toyota golf
elektro elektriker sanitär sanitaer heizung maler lackierer tischler
schreiner dachdecker friseur bäcker baecker metzger fleischer zimmerer maurer
installateur klempner schlosser werkstatt kfz auto bau bauen baustelle
handwerkskammer innung geselle lehrling azubi ausbildung chef boss kunde
kunden info mail email kontakt support technik energie solar holz metall
stahl stein fliesen glas gold silber diamant
schalke04 fcbayern bvb bvb09 dortmund werder werderbremen hsv stpauli fck
fckoeln effzeh eintracht hertha herthabsc vfb vfbstuttgart union unionberlin
gladbach leverkusen wolfsburg hoffenheim mainz05 fortuna hannover96
kaiserslautern rbleipzig arminia dynamo realmadrid barcelona liverpool
arsenal chelsea juventus manutd
qwertzu qwertzui qwertzuiop qwertyu qwertyui qwertyuiop asdf asdfghj asdfghjk
asdfghjkl yxcvbn yxcvbnm zxcvbn zxcvbnm qaywsx qayxsw 1qay2wsx 1qaz2wsx
1q2w3e 1q2w3e4r wasd uiop poiuztrewq
michael thomas andreas stefan stephan christian markus marcus peter klaus
wolfgang jürgen juergen frank uwe martin daniel alexander tobias sebastian
florian jan tim lukas leon paul felix jonas max maximilian ben noah elias
finn luca david simon philipp matthias dirk holger ralf torsten sven jens
bernd dieter manfred werner helmut günter guenter horst heinz karl hans
anna maria sabine petra monika andrea claudia susanne nicole stefanie julia
laura lisa sarah lena lea emma mia hannah sophie marie katharina christina
sandra melanie anja birgit karin ursula renate heike kerstin silke tanja
nadine jessica jennifer michelle ashley charlie john james robert william
richard joseph charles george thomas jack oliver harry emily olivia
`)

// Numbers people add, most used first.
var (
	seqs  = []string{"1", "12", "123", "1234", "12345", "123456", "0", "00", "01", "007", "0815", "4711", "111", "321", "666", "69", "88", "99"}
	small = append(slices.Clone(seqs), "2", "3", "4", "5", "6", "7", "8", "9", "2020", "2021", "2022", "2023", "2024", "2025", "2026")
)

// full adds years, long and short (birth years, "Sommer1990!", "Winter24!"),
// for top words.
func full() []string {
	n := slices.Clone(small)
	for y := 1950; y <= 2026; y++ {
		n = append(n, strconv.Itoa(y))
		if y >= 1970 {
			n = append(n, fmt.Sprintf("%02d", y%100))
		}
	}
	return n
}

// leetWords are the top words people also disguise ("P@ssw0rd").
var leetWords = words(`passwort password kennwort geheim secret willkommen
welcome hallo admin sommer winter start login`)

// leet applies the substitutions people believe make a word strong, one at
// a time and all together ("P@ssw0rd").
func leet(w string) []string {
	var out []string
	all := w
	for _, s := range []struct{ from, to string }{{"a", "@"}, {"o", "0"}, {"i", "1"}, {"e", "3"}, {"s", "$"}} {
		if strings.Contains(w, s.from) {
			out = append(out, strings.ReplaceAll(w, s.from, s.to))
			all = strings.ReplaceAll(all, s.from, s.to)
		}
	}
	return append(out, all, strings.NewReplacer("a", "@", "o", "0").Replace(w))
}

func main() {
	out := flag.String("o", "common-passwords.txt", "file to write")
	flag.Parse()
	classes := policy.Policy{MinLength: 8, MaxLength: 128, Upper: true, Lower: true, Digit: true, Special: true}

	set := map[string]bool{}
	add := func(word string, suffixes ...[]string) {
		for _, w := range capitalisations(word) {
			for _, s := range cross(suffixes...) {
				pw := w + s
				if classes.Check(pw, "") == nil {
					set[strings.ToLower(norm.NFC.String(pw))] = true
				}
			}
		}
	}
	for _, w := range top {
		add(w, full(), []string{"!", "!!", "?", "."})
		add(w, []string{"#", "@", "_", "-"}, seqs)
		add(w, []string{"!", "."}, small)
	}
	for _, w := range leetWords {
		for _, l := range leet(w) {
			add(l, []string{"", "!"}, append([]string{""}, small...), []string{"", "!", "?", "."})
		}
	}
	for _, w := range bases {
		add(w, small, []string{"!", "?", ".", "#"})
		add(w, []string{"#", "@", "."}, seqs)
		add(w, []string{"!", "!!", "."})
	}

	list := make([]string, 0, len(set))
	for pw := range set {
		list = append(list, pw)
	}
	slices.Sort(list)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	for _, pw := range list {
		w.WriteString(pw + "\n")
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d passwords\n", *out, len(list))
}

// capitalisations returns the forms people type: as is, Capitalised, and
// capitalised after a leading digit or symbol ("1Qay2wsx").
func capitalisations(w string) []string {
	out := []string{w}
	for i, r := range w {
		if unicode.IsLetter(r) {
			out = append(out, w[:i]+string(unicode.ToUpper(r))+w[i+utf8.RuneLen(r):])
			break
		}
	}
	return out
}

// cross returns every concatenation of one element from each part, in order.
func cross(parts ...[]string) []string {
	out := []string{""}
	for _, p := range parts {
		next := make([]string, 0, len(out)*len(p))
		for _, a := range out {
			for _, b := range p {
				next = append(next, a+b)
			}
		}
		out = next
	}
	return out
}

// words splits a whitespace-separated list, dropping duplicates.
func words(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.Fields(s) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
