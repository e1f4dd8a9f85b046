package web

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"strings"
	"sync"
	"text/template/parse"

	"pforte/locale"
)

// A page names its texts as messages, {{t "account.email"}}; one whose
// arguments are constants reads the same on every page of a language. So
// once, when the pages are loaded, foldMessages writes each such text into
// the page's escaped template in place of the action, escaped as
// html/template escapes it there: looking up and escaping some forty
// messages on every request was the better part of rendering a page (the
// function calls of html/template go through reflection). The output is
// the same byte for byte (TestFoldedPagesRenderTheSame).
//
// Only texts in the three contexts whose escaping can be reproduced here
// exactly are folded: page text, a quoted attribute value and <title>.
// Anything else (a URL, a script, a message with a value of the page)
// stays an action and is rendered per request as before.
func foldMessages(t *template.Template, cat *locale.Catalog, l locale.Lang) error {
	// html/template escapes a set of templates when one is first run;
	// executing without data escapes them and stops at the first value.
	if err := t.Execute(io.Discard, nil); err != nil {
		var escErr *template.Error
		if errors.As(err, &escErr) {
			return err
		}
	}
	for _, tmpl := range t.Templates() {
		if tmpl.Tree != nil && tmpl.Tree.Root != nil {
			foldList(tmpl.Tree.Root, cat, l)
		}
	}
	return nil
}

// foldList folds the message actions of list and of the lists within it,
// and joins the texts that then stand side by side.
func foldList(list *parse.ListNode, cat *locale.Catalog, l locale.Lang) {
	if list == nil {
		return
	}
	var out []parse.Node
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if text, ok := foldedText(n.Pipe, cat, l); ok {
				out = appendText(out, n.Pos, text)
				continue
			}
		case *parse.TextNode:
			out = appendText(out, n.Pos, string(n.Text))
			continue
		case *parse.IfNode:
			foldList(n.List, cat, l)
			foldList(n.ElseList, cat, l)
		case *parse.RangeNode:
			foldList(n.List, cat, l)
			foldList(n.ElseList, cat, l)
		case *parse.WithNode:
			foldList(n.List, cat, l)
			foldList(n.ElseList, cat, l)
		}
		out = append(out, n)
	}
	list.Nodes = out
}

// appendText adds text to nodes, to the text node at their end if there
// is one (a fresh node: the parsed ones may be shared).
func appendText(nodes []parse.Node, pos parse.Pos, text string) []parse.Node {
	if last, ok := lastText(nodes); ok {
		nodes[len(nodes)-1] = &parse.TextNode{NodeType: parse.NodeText, Pos: last.Pos, Text: append(bytes.Clone(last.Text), text...)}
		return nodes
	}
	return append(nodes, &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: []byte(text)})
}

func lastText(nodes []parse.Node) (*parse.TextNode, bool) {
	if len(nodes) == 0 {
		return nil, false
	}
	t, ok := nodes[len(nodes)-1].(*parse.TextNode)
	return t, ok
}

// foldedText is what an escaped pipeline `t "ID" "Name" "value" … |
// escaper` writes, if it is a message with constant arguments followed by
// one escaper that escapeIn reproduces.
func foldedText(pipe *parse.PipeNode, cat *locale.Catalog, l locale.Lang) (string, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) != 2 || len(pipe.Cmds[1].Args) != 1 {
		return "", false
	}
	fn, ok := pipe.Cmds[0].Args[0].(*parse.IdentifierNode)
	if !ok || (fn.Ident != "t" && fn.Ident != "th") {
		return "", false
	}
	var args []any
	for _, a := range pipe.Cmds[0].Args[1:] {
		s, ok := a.(*parse.StringNode)
		if !ok {
			return "", false
		}
		args = append(args, s.Text)
	}
	if len(args) == 0 {
		return "", false
	}
	escaper, ok := pipe.Cmds[1].Args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	id, pairs := args[0].(string), args[1:]
	var v any
	if fn.Ident == "th" {
		s, err := cat.T(l, id, escapeArgs(pairs)...)
		if err != nil {
			return "", false
		}
		v = template.HTML(s)
	} else {
		s, err := cat.T(l, id, pairs...)
		if err != nil {
			return "", false
		}
		v = s
	}
	return escapeIn(escaper.Ident, v)
}

// escapeContexts reproduce three escapers of html/template: each is a
// template with one value in the context the escaper serves, with what
// stands around the value. Only those whose escaped action names the
// escaper count (a later Go that escapes otherwise folds nothing there).
var escapeContexts = sync.OnceValue(func() map[string]escapeContext {
	out := map[string]escapeContext{}
	for escaper, c := range map[string]escapeContext{
		"_html_template_htmlescaper":   {before: "<p>", after: "</p>"},
		"_html_template_attrescaper":   {before: `<p title="`, after: `"></p>`},
		"_html_template_rcdataescaper": {before: "<title>", after: "</title>"},
	} {
		t, err := template.New("").Parse(c.before + "{{.}}" + c.after)
		if err != nil || t.Execute(io.Discard, "") != nil || !strings.Contains(t.Tree.Root.String(), "{{. | "+escaper+"}}") {
			continue
		}
		c.t = t
		out[escaper] = c
	}
	return out
})

type escapeContext struct {
	before, after string
	t             *template.Template
}

// escapeIn is v as the escaper named escaper writes it; false for an
// escaper escapeContexts does not reproduce.
func escapeIn(escaper string, v any) (string, bool) {
	c, ok := escapeContexts()[escaper]
	if !ok {
		return "", false
	}
	var b strings.Builder
	if err := c.t.Execute(&b, v); err != nil {
		return "", false
	}
	out, ok := strings.CutPrefix(b.String(), c.before)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(out, c.after)
}
