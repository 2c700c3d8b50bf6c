package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"gopkg.in/yaml.v3"
)

// SetVars sets or updates global vars (the top-level "vars" mapping) in the
// inventory file at path, keeping comments and key order as far as yaml.v3
// allows (the file is re-indented with two spaces). The previous content is
// kept in a new timestamped backup, path+".bak.<UTC time>" (the newest
// KeepBackups are kept); the new file replaces the old one atomically. New
// keys are appended in sorted order. When nothing changes, the file is
// left alone and no backup is made.
func SetVars(path string, vars map[string]any) error {
	orig, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("set vars in %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(orig, &doc); err != nil {
		return fmt.Errorf("set vars in %s: %w", path, err)
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		*root = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("set vars in %s: top level is not a mapping", path)
	}
	varsNode := lookup(root, "vars")
	if varsNode == nil {
		varsNode = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "vars"}
		root.Content = append([]*yaml.Node{key, varsNode}, root.Content...)
	}
	if varsNode.Kind == yaml.ScalarNode && varsNode.Tag == "!!null" {
		*varsNode = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", LineComment: varsNode.LineComment}
	}
	if varsNode.Kind != yaml.MappingNode {
		return fmt.Errorf("set vars in %s: vars is not a mapping", path)
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	changed := false
	for _, k := range keys {
		var val yaml.Node
		if err := val.Encode(vars[k]); err != nil {
			return fmt.Errorf("set vars in %s: var %s: %w", path, k, err)
		}
		if old := lookup(varsNode, k); old != nil {
			if old.Kind == yaml.ScalarNode && val.Kind == yaml.ScalarNode && old.Value == val.Value && old.ShortTag() == val.ShortTag() {
				continue // already so: keep the file as it is
			}
			changed = true
			val.HeadComment, val.LineComment, val.FootComment = old.HeadComment, old.LineComment, old.FootComment
			if varsNode.Style&yaml.FlowStyle != 0 {
				val.Style |= yaml.FlowStyle
			}
			*old = val
			continue
		}
		changed = true
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
		varsNode.Content = append(varsNode.Content, key, &val)
	}
	if !changed {
		return nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("set vars in %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("set vars in %s: %w", path, err)
	}
	if bytes.Equal(buf.Bytes(), orig) {
		return nil
	}
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if _, err := backup(path, orig, mode, time.Now()); err != nil {
		return fmt.Errorf("back up %s: %w", path, err)
	}
	if err := writeAtomic(path, buf.Bytes(), mode); err != nil {
		return fmt.Errorf("set vars in %s: %w", path, err)
	}
	return nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
