package modules

import (
	"os"
	"sync"
	"time"
)

// Every host of a run copies the same controller files: a large one (the
// proxy binary) is read and hashed once per process, not once per host.
// Entries are checked against the file's size and mtime on every use.

type localFile struct {
	size int64
	mod  time.Time
	data []byte // shared by every caller: never modified
	sum  string
}

var localFiles sync.Map // path -> *localFile

// memoMinSize: smaller files are simply re-read.
const memoMinSize = 1 << 20

func readLocalFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() < memoMinSize || !fi.Mode().IsRegular() {
		return os.ReadFile(path)
	}
	if v, ok := localFiles.Load(path); ok {
		lf := v.(*localFile)
		if lf.size == fi.Size() && lf.mod.Equal(fi.ModTime()) {
			return lf.data, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) == fi.Size() {
		localFiles.Store(path, &localFile{size: fi.Size(), mod: fi.ModTime(), data: data, sum: sha256Hex(data)})
	}
	return data, nil
}

// contentSum is sha256Hex(b), taken from the memo when b is a memoised
// file's content.
func contentSum(b []byte) string {
	if len(b) >= memoMinSize {
		sum := ""
		localFiles.Range(func(_, v any) bool {
			lf := v.(*localFile)
			if len(lf.data) == len(b) && &lf.data[0] == &b[0] {
				sum = lf.sum
				return false
			}
			return true
		})
		if sum != "" {
			return sum
		}
	}
	return sha256Hex(b)
}
