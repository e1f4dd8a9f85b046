package web

import (
	"reflect"
	"strings"

	"pforte/account"
	"pforte/locale"
)

// memberExport is the data export as the member downloads it: the data
// under their stable (English) keys, which machines read, and beside them
// "about", which says in the member's language what each key holds, so
// that the file reads without a manual. Each audit line carries its event
// in words (event_text) beside the code.
type memberExport struct {
	About exportAbout `json:"about"`
	*account.DataExport
}

// exportAbout explains the export in one language.
type exportAbout struct {
	Language string            `json:"language"`
	Text     string            `json:"text"`
	Keys     map[string]string `json:"keys"`
}

// exportKeys are the top-level keys of account.DataExport, from its JSON
// tags: each has its explanation export.key.KEY in the catalog.
func exportKeys() []string {
	t := reflect.TypeFor[account.DataExport]()
	var keys []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// readableExport adds the explanation in l to x and the events' words.
func readableExport(cat *locale.Catalog, l locale.Lang, x *account.DataExport) memberExport {
	keys := map[string]string{}
	for _, k := range exportKeys() {
		keys[k] = cat.Must(l, "export.key."+k)
	}
	for i := range x.Audit {
		x.Audit[i].EventText = wordFor(cat, l, "event.", x.Audit[i].Event)
	}
	return memberExport{About: exportAbout{Language: string(l), Text: cat.Must(l, "export.about"), Keys: keys}, DataExport: x}
}
