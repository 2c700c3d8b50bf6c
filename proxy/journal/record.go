package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Kind says whether a record can be replayed.
type Kind uint8

const (
	// Replayable records are replayed as they are: with the original client
	// timestamp, a replay is idempotent under last-write-wins.
	Replayable Kind = 1
	// NeedsRepair records (counters, LWT, non-deterministic functions) are
	// never replayed; they name what an operator must repair.
	NeedsRepair Kind = 2
)

func (k Kind) String() string {
	switch k {
	case Replayable:
		return "replayable"
	case NeedsRepair:
		return "needs-repair"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// NoBatch is the BatchType of a record that is not a BATCH.
const NoBatch = 0xFF

// Value is one bound value in protocol encoding. A nil B is NULL unless
// Unset is set (protocol v4+ "not set").
type Value struct {
	B     []byte
	Unset bool
}

// Statement is one CQL statement with its bound values (positional, or named
// when Names is set).
type Statement struct {
	Query  string
	Values []Value
	Names  []string
}

// Record is one write a cluster missed.
type Record struct {
	Kind         Kind
	Cluster      string // the cluster that missed the write: ORIGIN or TARGET
	Keyspace     string
	Table        string
	Consistency  uint16
	Timestamp    int64 // the write's client timestamp, microseconds since the epoch
	At           int64 // when it was journaled, Unix nanoseconds
	BatchType    uint8 // NoBatch, or the BATCH type (0 logged, 1 unlogged, 2 counter)
	Reason       string
	PartitionKey string // needs-repair: the partition key, where known
	Statements   []Statement
}

const formatVersion = 1

// MaxRecordBytes bounds one encoded record; bigger records are refused.
const MaxRecordBytes = 64 << 20

var errRecordTooBig = errors.New("journal: record larger than 64 MiB")

func appendStr16(b []byte, s string) []byte {
	if len(s) > math.MaxUint16 {
		s = s[:math.MaxUint16]
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendStr32(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendPayload encodes r after b.
func (r *Record) appendPayload(b []byte) ([]byte, error) {
	if len(r.Statements) > math.MaxUint16 {
		return nil, errors.New("journal: too many statements in one record")
	}
	b = append(b, formatVersion, byte(r.Kind), r.BatchType)
	b = appendStr16(b, r.Cluster)
	b = appendStr16(b, r.Keyspace)
	b = appendStr16(b, r.Table)
	b = binary.BigEndian.AppendUint16(b, r.Consistency)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Timestamp))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At))
	b = appendStr16(b, r.Reason)
	b = appendStr32(b, r.PartitionKey)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Statements)))
	for _, s := range r.Statements {
		if len(s.Values) > math.MaxUint16 || len(s.Names) > math.MaxUint16 {
			return nil, errors.New("journal: too many values in one statement")
		}
		b = appendStr32(b, s.Query)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Values)))
		for _, v := range s.Values {
			switch {
			case v.Unset:
				b = binary.BigEndian.AppendUint32(b, uint32(0xFFFFFFFE)) // -2
			case v.B == nil:
				b = binary.BigEndian.AppendUint32(b, uint32(0xFFFFFFFF)) // -1
			default:
				b = binary.BigEndian.AppendUint32(b, uint32(len(v.B)))
				b = append(b, v.B...)
			}
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Names)))
		for _, n := range s.Names {
			b = appendStr16(b, n)
		}
	}
	return b, nil
}

// dec reads a payload; the first short read sets err.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errors.New("journal: truncated record payload")
		d.b = nil
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *dec) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *dec) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *dec) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *dec) str16() string { return string(d.take(int(d.u16()))) }
func (d *dec) str32() string { return string(d.take(int(d.u32()))) }

// decodePayload is the inverse of appendPayload; the record owns its memory.
func decodePayload(p []byte) (Record, error) {
	d := dec{b: p}
	var r Record
	if v := d.u8(); d.err == nil && v != formatVersion {
		return r, fmt.Errorf("journal: unknown record format %d", v)
	}
	r.Kind = Kind(d.u8())
	r.BatchType = d.u8()
	r.Cluster = d.str16()
	r.Keyspace = d.str16()
	r.Table = d.str16()
	r.Consistency = d.u16()
	r.Timestamp = int64(d.u64())
	r.At = int64(d.u64())
	r.Reason = d.str16()
	r.PartitionKey = d.str32()
	n := int(d.u16())
	for i := 0; i < n && d.err == nil; i++ {
		var s Statement
		s.Query = d.str32()
		nv := int(d.u16())
		for j := 0; j < nv && d.err == nil; j++ {
			l := int32(d.u32())
			switch {
			case l == -2:
				s.Values = append(s.Values, Value{Unset: true})
			case l < 0:
				s.Values = append(s.Values, Value{})
			default:
				s.Values = append(s.Values, Value{B: append(make([]byte, 0, l), d.take(int(l))...)})
			}
		}
		nn := int(d.u16())
		for j := 0; j < nn && d.err == nil; j++ {
			s.Names = append(s.Names, d.str16())
		}
		r.Statements = append(r.Statements, s)
	}
	if d.err != nil {
		return Record{}, d.err
	}
	if len(d.b) != 0 {
		return Record{}, errors.New("journal: trailing bytes after a record")
	}
	return r, nil
}
