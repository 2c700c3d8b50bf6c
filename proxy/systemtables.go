package proxy

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"math/big"
	"net"
	"strconv"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	cqlframe "github.com/datastax/go-cassandra-native-protocol/frame"
	"github.com/datastax/go-cassandra-native-protocol/message"
	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/proxy/classify"
	"github.com/zdmctl/zdmctl/proxy/frame"
)

// answerSystemTable answers system.local / system.peers: the proxy fleet is
// presented as the cluster's nodes; other columns come from Origin's
// system.local, fetched fresh so schema_version stays current.
func (cc *clientConn) answerSystemTable(r *request, table string, q []byte, st *Settings) {
	cols, star, ok := classify.SelectColumns(q)
	if !ok {
		star = true
	}
	query := "SELECT * FROM system.local WHERE key='local'"
	body := appendU32(nil, uint32(len(query)))
	body = append(body, query...)
	body = append(body, 0x00, 0x01) // ONE
	if cc.version >= 5 {
		body = appendU32(body, 0)
	} else {
		body = append(body, 0)
	}
	fetch := frame.New(cc.version, cc.reqFlags, 0, frame.OpQuery, body)
	r.primary = Origin
	r.kind = classify.KindSelect
	r.transform = func(resp frame.Frame) frame.Frame {
		out, err := cc.buildSystemResult(resp, table, cols, star)
		if err != nil {
			return frame.ErrorFrame(cc.version, r.stream, frame.ErrCodeInvalid, err.Error())
		}
		return out
	}
	cc.send(r, st, true, false, forwardAs(fetch))
}

func (cc *clientConn) buildSystemResult(resp frame.Frame, table string, cols []string, star bool) (out frame.Frame, err error) {
	defer func() {
		if p := recover(); p != nil { // a malformed answer must not kill the proxy
			out, err = nil, fmt.Errorf("zdm-proxy: cannot decode Origin's system.local: %v", p)
		}
	}()
	codec := cqlframe.NewCodec()
	decoded, err := codec.DecodeFrame(bytes.NewReader(resp))
	if err != nil {
		return nil, fmt.Errorf("zdm-proxy: decode Origin system.local: %w", err)
	}
	rows, ok := decoded.Body.Message.(*message.RowsResult)
	if !ok || len(rows.Data) == 0 || rows.Metadata == nil {
		return nil, fmt.Errorf("zdm-proxy: Origin system.local returned no row")
	}
	origin := map[string]*message.ColumnMetadata{}
	values := map[string]message.Column{}
	var order []string
	for i, c := range rows.Metadata.Columns {
		origin[c.Name] = c
		values[c.Name] = rows.Data[0][i]
		order = append(order, c.Name)
	}
	self, peers := cc.srv.topology(cc.conn.LocalAddr())
	n := len(peers) + 1
	var metaCols []*message.ColumnMetadata
	var data message.RowSet
	if table == "local" {
		row := map[string]message.Column{}
		for k, v := range values {
			row[k] = v
		}
		cc.srv.nodeValues(row, self, n, cc.version)
		names := order
		if !star {
			names = cols
		}
		r := message.Row{}
		for _, name := range names {
			c, ok := origin[name]
			if !ok {
				return nil, fmt.Errorf("Undefined column name %s in table system.local", name)
			}
			cp := *c
			metaCols = append(metaCols, &cp)
			r = append(r, row[name])
		}
		data = append(data, r)
	} else {
		peerCols := []struct {
			name string
			typ  datatype.DataType
		}{
			{"peer", datatype.Inet}, {"data_center", datatype.Varchar}, {"host_id", datatype.Uuid},
			{"preferred_ip", datatype.Inet}, {"rack", datatype.Varchar}, {"release_version", datatype.Varchar},
			{"rpc_address", datatype.Inet}, {"schema_version", datatype.Uuid}, {"tokens", datatype.NewSet(datatype.Varchar)},
		}
		names := make([]string, 0, len(peerCols))
		types := map[string]datatype.DataType{}
		for _, pc := range peerCols {
			names = append(names, pc.name)
			types[pc.name] = pc.typ
		}
		if !star {
			names = cols
		}
		for _, name := range names {
			t, ok := types[name]
			if !ok {
				return nil, fmt.Errorf("Undefined column name %s in table system.peers", name)
			}
			metaCols = append(metaCols, &message.ColumnMetadata{Keyspace: "system", Table: "peers", Name: name, Type: t})
		}
		for _, p := range peers {
			row := map[string]message.Column{}
			for k, v := range values {
				row[k] = v
			}
			cc.srv.nodeValues(row, p, n, cc.version)
			row["peer"] = row["broadcast_address"]
			row["preferred_ip"] = row["broadcast_address"]
			r := message.Row{}
			for _, name := range names {
				r = append(r, row[name])
			}
			data = append(data, r)
		}
	}
	res := &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: int32(len(metaCols)), Columns: metaCols}, Data: data}
	encoded := cqlframe.NewFrame(primitive.ProtocolVersion(cc.version), 0, res)
	var buf bytes.Buffer
	if err := codec.EncodeFrame(encoded, &buf); err != nil {
		return nil, fmt.Errorf("zdm-proxy: encode system.%s: %w", table, err)
	}
	return frame.Frame(buf.Bytes()), nil
}

// proxyNode is one proxy instance of the fleet.
type proxyNode struct {
	ip    net.IP
	port  int
	index int
}

// topology returns this proxy and its peers from proxy_topology_addresses;
// with none configured, the proxy is alone and known by local.
func (s *Server) topology(local net.Addr) (proxyNode, []proxyNode) {
	port := s.cfg.ListenPort
	ip := net.IPv4(127, 0, 0, 1)
	if ta, ok := local.(*net.TCPAddr); ok {
		ip = ta.IP
		if port == 0 || len(s.cfg.TopologyAddresses) == 0 {
			port = ta.Port
		}
	}
	addrs := s.cfg.TopologyAddresses
	if len(addrs) == 0 {
		return proxyNode{ip: ip, port: port, index: 0}, nil
	}
	var self proxyNode
	var peers []proxyNode
	for i, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil {
			if ips, err := net.LookupIP(a); err == nil && len(ips) > 0 {
				ip = ips[0]
			} else {
				ip = net.IPv4zero
			}
		}
		n := proxyNode{ip: ip, port: port, index: i}
		if i == s.cfg.TopologyIndex {
			self = n
		} else {
			peers = append(peers, n)
		}
	}
	return self, peers
}

// nodeValues overwrites the per-node columns of a system.local-shaped row.
func (s *Server) nodeValues(row map[string]message.Column, n proxyNode, count int, version byte) {
	ip := n.ip.To4()
	if ip == nil {
		ip = n.ip.To16()
	}
	for _, k := range []string{"broadcast_address", "listen_address", "rpc_address"} {
		row[k] = message.Column(append([]byte(nil), ip...))
	}
	if _, ok := row["rpc_port"]; ok {
		row["rpc_port"] = message.Column(appendU32(nil, uint32(n.port)))
	}
	if _, ok := row["native_port"]; ok {
		row["native_port"] = message.Column(appendU32(nil, uint32(n.port)))
	}
	h := md5.Sum([]byte(fmt.Sprintf("zdm-proxy/%s/%d", n.ip, n.index)))
	h[6] = (h[6] & 0x0f) | 0x30 // version 3 (name based)
	h[8] = (h[8] & 0x3f) | 0x80
	row["host_id"] = message.Column(h[:])
	tok := token(n.index, count)
	set := appendU32(nil, 1)
	set = appendU32(set, uint32(len(tok)))
	set = append(set, tok...)
	row["tokens"] = message.Column(set)
}

// token spreads count nodes evenly over the Murmur3 range [-2^63, 2^63).
func token(i, count int) string {
	span := new(big.Int).Lsh(big.NewInt(1), 64)
	t := new(big.Int).Mul(span, big.NewInt(int64(i)))
	t.Div(t, big.NewInt(int64(count)))
	t.Sub(t, new(big.Int).Lsh(big.NewInt(1), 63))
	return strconv.FormatInt(t.Int64(), 10)
}
