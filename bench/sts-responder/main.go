// sts-responder: a fast STS GetCallerIdentity responder for server benchmarks only.
//
// The Python stand-in in tests/support verifies SigV4 and is the reference for tests, but
// at thousands of requests a second it, not the server, would be what is measured. This
// program answers like STS without checking signatures (the benchmark's tokens are real
// presigned URLs that pass the server's local checks; only the signature is not
// verified), so the numbers are the webhook's own.
//
// It is reached the way STS is in production behind a corporate proxy: it listens as an
// HTTPS_PROXY, accepts CONNECT to any host, terminates TLS with a certificate for that
// host signed by a CA it writes to -ca, and serves HTTP/1.1 keep-alive on the tunnel.
//
//	go run ./bench/sts-responder -listen 127.0.0.1:0 -ca /tmp/ca.pem -ready /tmp/ready
//
// The identity is derived from the access key in X-Amz-Credential, so distinct keys give
// distinct users: arn:aws:iam::111122223333:user/<access key id>.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type certs struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

func newCA() (*certs, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sts-responder test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &certs{caCert: cert, caKey: key, leaves: map[string]*tls.Certificate{}},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func (c *certs) leaf(host string) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if leaf, ok := c.leaves[host]; ok {
		return leaf, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.caCert, &key.PublicKey, c.caKey)
	if err != nil {
		return nil, err
	}
	leaf := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	c.leaves[host] = leaf
	return leaf, nil
}

// connListener feeds tunnelled TLS connections to one http.Server.
type connListener struct {
	conns chan net.Conn
	addr  net.Addr
}

func (l *connListener) Accept() (net.Conn, error) { return <-l.conns, nil }
func (l *connListener) Close() error              { return nil }
func (l *connListener) Addr() net.Addr            { return l.addr }

func stsHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("Action") != "GetCallerIdentity" {
		http.Error(w, `{"Error":{"Code":"InvalidAction"}}`, http.StatusBadRequest)
		return
	}
	akid := strings.SplitN(q.Get("X-Amz-Credential"), "/", 2)[0]
	if akid == "" {
		http.Error(w, `{"Error":{"Code":"MissingAuthenticationToken"}}`, http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/%s","UserId":"AIDA%s"},"ResponseMetadata":{"RequestId":"bench"}}}`, akid, akid)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "proxy listen address")
	caPath := flag.String("ca", "", "where to write the CA certificate (PEM)")
	ready := flag.String("ready", "", "where to write the proxy URL once listening")
	flag.Parse()

	c, caPEM := newCA()
	if *caPath != "" {
		if err := os.WriteFile(*caPath, caPEM, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	tunnels := &connListener{conns: make(chan net.Conn, 1024), addr: ln.Addr()}
	go func() {
		srv := &http.Server{Handler: http.HandlerFunc(stsHandler), IdleTimeout: 5 * time.Minute}
		log.Fatal(srv.Serve(tunnels))
	}()
	tlsConfig := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.leaf(h.ServerName)
		},
	}
	if *ready != "" {
		url := "http://" + ln.Addr().String()
		if err := os.WriteFile(*ready+".tmp", []byte(url), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(*ready+".tmp", *ready); err != nil {
			log.Fatal(err)
		}
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func(conn net.Conn) {
			br := bufio.NewReader(conn)
			req, err := http.ReadRequest(br)
			if err != nil || req.Method != http.MethodConnect {
				conn.Write([]byte("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"))
				conn.Close()
				return
			}
			conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
			// One line per tunnel: the benchmark counts them to show connection reuse.
			log.Printf("tunnel to %s", req.Host)
			tunnels.conns <- tls.Server(conn, tlsConfig)
		}(conn)
	}
}
