package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Pos is the position of a record: its segment and byte offset.
type Pos struct {
	Seq uint64
	Off int64
}

// Less orders positions.
func (p Pos) Less(q Pos) bool { return p.Seq < q.Seq || p.Seq == q.Seq && p.Off < q.Off }

const cursorFile = "cursor"

var cursorMagic = []byte("ZDMCUR01")

// readCursor returns the position of the next record to replay; a journal
// never replayed has the zero Pos (everything pending).
func readCursor(dir string) (Pos, error) {
	b, err := os.ReadFile(filepath.Join(dir, cursorFile))
	if errors.Is(err, os.ErrNotExist) {
		return Pos{}, nil
	}
	if err != nil {
		return Pos{}, err
	}
	if len(b) != len(cursorMagic)+20 || string(b[:len(cursorMagic)]) != string(cursorMagic) {
		return Pos{}, fmt.Errorf("journal: %s: not a cursor file", filepath.Join(dir, cursorFile))
	}
	body := b[len(cursorMagic):]
	if crc32.Checksum(body[:16], castagnoli) != binary.BigEndian.Uint32(body[16:]) {
		return Pos{}, fmt.Errorf("journal: %s: checksum mismatch", filepath.Join(dir, cursorFile))
	}
	return Pos{Seq: binary.BigEndian.Uint64(body), Off: int64(binary.BigEndian.Uint64(body[8:]))}, nil
}

// writeCursor replaces the cursor atomically and durably.
func writeCursor(dir string, p Pos) error {
	b := append([]byte{}, cursorMagic...)
	b = binary.BigEndian.AppendUint64(b, p.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Off))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[len(cursorMagic):], castagnoli))
	tmp := filepath.Join(dir, cursorFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("journal: write cursor: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, cursorFile))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("journal: write cursor: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
