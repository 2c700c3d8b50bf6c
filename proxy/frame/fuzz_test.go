package frame

import (
	"bytes"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the frame reader in every layout: it
// must return frames or errors, never panic or allocate past the limit.
func FuzzReader(f *testing.F) {
	f.Add([]byte{4, 0, 0, 1, OpOptions, 0, 0, 0, 0}, false, false)
	f.Add([]byte(New(4, 0, 5, OpQuery, []byte{0, 0, 0, 1, 'x', 0, 1, 0})), false, false)
	f.Add(AppendSegments(nil, New(5, 0, 1, OpQuery, []byte("abc")), nil), true, false)
	f.Add(AppendSegments(nil, New(5, 0, 1, OpQuery, bytes.Repeat([]byte("abc"), 100)), lz4Compressor{}), true, true)
	f.Add([]byte("GET / HTTP/1.1\r\n"), false, false)
	f.Fuzz(func(t *testing.T, data []byte, segmented, compressed bool) {
		r := NewReader(bytes.NewReader(data), 512)
		r.Requests = true
		r.SetMaxBodyLen(1 << 20)
		r.SetSegmented(segmented)
		if compressed {
			r.SetCompressor(lz4Compressor{})
		}
		for i := 0; i < 100; i++ {
			fr, err := r.ReadFrame()
			if err != nil {
				return
			}
			if len(fr) < HeaderLen || len(fr.Body()) > 1<<20 {
				t.Fatalf("bad frame returned: %d bytes", len(fr))
			}
			_, _ = RequestMessage(fr)
		}
	})
}
