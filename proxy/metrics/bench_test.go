package metrics

import (
	"testing"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/primitive"
)

func BenchmarkObserveWrite(b *testing.B) {
	m := New(Options{NoRuntimeCollectors: true})
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveWrite(time.Millisecond)
	}
}

func BenchmarkClusterObserveRequest(b *testing.B) {
	m := New(Options{NoRuntimeCollectors: true})
	b.ReportAllocs()
	for b.Loop() {
		m.Cluster(Origin).ObserveRequest(KindRead, time.Millisecond)
	}
}

func BenchmarkErrorCode(b *testing.B) {
	m := New(Options{NoRuntimeCollectors: true})
	b.ReportAllocs()
	for b.Loop() {
		m.ErrorCode(Target, primitive.ErrorCodeWriteTimeout)
	}
}

func BenchmarkWriteRequestFull(b *testing.B) {
	m := New(Options{NoRuntimeCollectors: true})
	b.ReportAllocs()
	for b.Loop() {
		m.InflightInc(Writes)
		m.Cluster(Origin).ObserveRequest(KindWrite, time.Millisecond)
		m.Cluster(Target).ObserveRequest(KindWrite, time.Millisecond)
		m.ObserveWrite(time.Millisecond)
		m.InflightDec(Writes)
	}
}

func BenchmarkObserveWriteParallel(b *testing.B) {
	m := New(Options{NoRuntimeCollectors: true})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveWrite(time.Millisecond)
		}
	})
}
