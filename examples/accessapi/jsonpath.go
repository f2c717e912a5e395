package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// encoding/json names a field inside a list without the item's index
// ("grants.entity_id"), which says nothing in a 60,000-item batch. The
// functions here walk the body's tokens again, after a decode failed, to
// name the item: "grants[3].entity_id".

// pathFrame is one open object or array of the walk, with the Go type its
// members decode into (nil when unknown).
type pathFrame struct {
	array   bool
	index   int
	key     string
	wantKey bool
	typ     reflect.Type
}

// pathOf writes the walk's position: keys joined by '.', indices in brackets.
func pathOf(stack []pathFrame) string {
	var b strings.Builder
	for _, f := range stack {
		switch {
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case f.key != "":
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
	}
	return b.String()
}

// walkJSON calls visit for each value of data (and, in objects, each key
// before its value) with the path of the value and the byte offset just
// after its first token; visit returns true to stop. root is the Go type the
// whole body decodes into. It stops silently at malformed input.
func walkJSON(data []byte, root reflect.Type, visit func(path string, end int64, key bool, parent reflect.Type) bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []pathFrame
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	cur := root
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		end := dec.InputOffset()
		delim, isDelim := tok.(json.Delim)
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			top := &stack[n-1]
			if isDelim { // '}'
				stack = stack[:n-1]
				valueDone()
				continue
			}
			top.key, top.wantKey = tok.(string), false
			if visit(pathOf(stack), end, true, top.typ) {
				return
			}
			continue
		}
		if isDelim && delim == ']' {
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		cur = root
		if n := len(stack); n > 0 {
			cur = memberType(stack[n-1].typ, stack[n-1].key, stack[n-1].array)
		}
		if visit(pathOf(stack), end, false, nil) {
			return
		}
		if isDelim { // '{' or '['
			stack = append(stack, pathFrame{array: delim == '[', wantKey: delim == '{', typ: cur})
			continue
		}
		valueDone()
	}
}

// memberType is the Go type of a member of a value of type t: an array's
// element, an object's field named key (matched as encoding/json matches
// it) or map value. nil when unknown.
func memberType(t reflect.Type, key string, array bool) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if array {
			return t.Elem()
		}
	case reflect.Map:
		if !array {
			return t.Elem()
		}
	case reflect.Struct:
		if !array {
			f, ok := structField(t, key)
			if ok {
				return f.Type
			}
		}
	}
	return nil
}

// structField finds the field key decodes into: its JSON name, exactly or
// else regardless of case.
func structField(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

var indexInPath = regexp.MustCompile(`\[\d+\]`)

// indexedPathAt names the value that ends at offset with its list indices;
// field is encoding/json's name for it, returned as is when the walk finds
// another path (which would be a bug of the walk, not the caller's).
func indexedPathAt(data []byte, root reflect.Type, offset int64, field string) string {
	found := field
	walkJSON(data, root, func(path string, end int64, key bool, _ reflect.Type) bool {
		if key || end < offset {
			return false
		}
		if indexInPath.ReplaceAllString(path, "") == field {
			found = path
		}
		return true
	})
	return found
}

// unknownFieldPath names the first key of data that its object's Go type
// has no field for, with its list indices: the one encoding/json reports
// as "unknown field". name is that key, returned alone when not found.
func unknownFieldPath(data []byte, root reflect.Type, name string) string {
	found := name
	walkJSON(data, root, func(path string, _ int64, key bool, parent reflect.Type) bool {
		if !key || !strings.HasSuffix(path, name) {
			return false
		}
		for parent != nil && parent.Kind() == reflect.Pointer {
			parent = parent.Elem()
		}
		if parent == nil || parent.Kind() != reflect.Struct {
			return false
		}
		if _, ok := structField(parent, name); ok {
			return false
		}
		found = path
		return true
	})
	return found
}
