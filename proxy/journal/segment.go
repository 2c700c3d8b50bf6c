package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segMagic opens every segment file.
var segMagic = []byte("ZDMJRNL1")

const (
	recMagic     = 0x5A4A // "ZJ"
	recHeaderLen = 12
	segPrefix    = "seg-"
	segSuffix    = ".zj"
)

func segName(seq uint64) string { return fmt.Sprintf("%s%016d%s", segPrefix, seq, segSuffix) }

// parseSegName returns the sequence number of a segment file name.
func parseSegName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix), 10, 64)
	return n, err == nil
}

// listSegments returns the sequence numbers of dir's segments, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		if seq, ok := parseSegName(e.Name()); ok && e.Type().IsRegular() {
			seqs = append(seqs, seq)
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// frameRecord appends the framed record (header and payload) to b.
func frameRecord(b []byte, r *Record) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, recHeaderLen)...)
	b, err := r.appendPayload(b)
	if err != nil {
		return b[:start], err
	}
	n := len(b) - start - recHeaderLen
	if n > MaxRecordBytes {
		return b[:start], errRecordTooBig
	}
	h := b[start : start+recHeaderLen]
	binary.BigEndian.PutUint16(h[0:], recMagic)
	binary.BigEndian.PutUint32(h[4:], uint32(n))
	crc := crc32.Update(0, castagnoli, h[4:8])
	crc = crc32.Update(crc, castagnoli, b[start+recHeaderLen:])
	binary.BigEndian.PutUint32(h[8:], crc)
	return b, nil
}

// ErrCorrupt reports a record whose checksum or framing is wrong somewhere
// other than the torn tail of a segment.
var ErrCorrupt = errors.New("journal: corrupt record")

// scanResult is what reading one segment found.
type scanResult struct {
	records int
	end     int64 // offset after the last good record
	torn    bool  // the segment ends in an incomplete record (a crash mid-append)
	corrupt error // a bad record (checksum, framing, decoding): records after it are skipped
}

// scanSegment reads the segment at path from offset from (0 = start) and
// calls fn (when not nil) for every good record with the offset of the record
// and the offset after it. fn returning false stops the scan.
func scanSegment(path string, from int64, fn func(r Record, off, next int64) bool) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return scanResult{}, err
	}
	return scanBytes(data, from, fn), nil
}

func scanBytes(data []byte, from int64, fn func(r Record, off, next int64) bool) scanResult {
	var res scanResult
	if len(data) < len(segMagic) {
		// A segment whose header never made it to disk: empty, torn.
		res.torn = len(data) > 0
		return res
	}
	if string(data[:len(segMagic)]) != string(segMagic) {
		res.corrupt = fmt.Errorf("%w: bad segment header", ErrCorrupt)
		return res
	}
	off := int64(len(segMagic))
	if from > off {
		off = from
	}
	res.end = off
	for off < int64(len(data)) {
		rest := data[off:]
		if len(rest) < recHeaderLen {
			res.torn = true
			return res
		}
		if binary.BigEndian.Uint16(rest) != recMagic {
			res.corrupt = fmt.Errorf("%w at offset %d: bad record magic", ErrCorrupt, off)
			return res
		}
		n := int64(binary.BigEndian.Uint32(rest[4:]))
		if n > MaxRecordBytes {
			res.corrupt = fmt.Errorf("%w at offset %d: record length %d", ErrCorrupt, off, n)
			return res
		}
		if int64(len(rest)) < recHeaderLen+n {
			res.torn = true
			return res
		}
		payload := rest[recHeaderLen : recHeaderLen+n]
		crc := crc32.Update(0, castagnoli, rest[4:8])
		crc = crc32.Update(crc, castagnoli, payload)
		if crc != binary.BigEndian.Uint32(rest[8:]) {
			res.corrupt = fmt.Errorf("%w at offset %d: checksum mismatch", ErrCorrupt, off)
			return res
		}
		next := off + recHeaderLen + n
		if fn != nil {
			r, err := decodePayload(payload)
			if err != nil {
				res.corrupt = fmt.Errorf("%w at offset %d: %v", ErrCorrupt, off, err)
				return res
			}
			if !fn(r, off, next) {
				res.records++
				res.end = next
				return res
			}
		}
		res.records++
		res.end = next
		off = next
	}
	return res
}

// segPath is the path of segment seq in dir.
func segPath(dir string, seq uint64) string { return filepath.Join(dir, segName(seq)) }
