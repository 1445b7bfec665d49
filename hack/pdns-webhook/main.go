// A cert-manager DNS webhook for PowerDNS's HTTP API, on cert-manager's own webhook server library
// (the aggregated API server every cert-manager DNS webhook runs): the test bed's stand-in for the
// community PowerDNS webhook. Its config: {"host": "http://127.0.0.1:8081", "serverID": "localhost",
// "apiKeySecretRef": {"name": "pdns", "key": "api-key"}}, the Secret read in the request's namespace.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cert-manager/cert-manager/pkg/acme/webhook/apis/acme/v1alpha1"
	"github.com/cert-manager/cert-manager/pkg/acme/webhook/cmd"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

type secretRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type config struct {
	Host            string    `json:"host"`
	ServerID        string    `json:"serverID"`
	APIKeySecretRef secretRef `json:"apiKeySecretRef"`
	TTL             int       `json:"ttl"`
}

type record struct {
	Content  string `json:"content"`
	Disabled bool   `json:"disabled"`
}

type rrset struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	TTL        int      `json:"ttl,omitempty"`
	ChangeType string   `json:"changetype,omitempty"`
	Records    []record `json:"records"`
}

type solver struct {
	kube *kubernetes.Clientset
	mu   sync.Mutex // one read-modify-write of an RRset at a time
	http http.Client
}

func (s *solver) Name() string { return "pdns" }

func (s *solver) Initialize(kubeConfig *rest.Config, _ <-chan struct{}) error {
	cl, err := kubernetes.NewForConfig(kubeConfig)
	s.kube = cl
	s.http.Timeout = 10 * time.Second
	return err
}

func (s *solver) Present(ch *v1alpha1.ChallengeRequest) error {
	return s.change(ch, func(values []string, value string) []string {
		for _, v := range values {
			if v == value {
				return values
			}
		}
		return append(values, value)
	})
}

func (s *solver) CleanUp(ch *v1alpha1.ChallengeRequest) error {
	return s.change(ch, func(values []string, value string) []string {
		kept := []string{}
		for _, v := range values {
			if v != value {
				kept = append(kept, v)
			}
		}
		return kept
	})
}

// change reads the TXT RRset of the request's name, applies edit to its values and writes it back.
func (s *solver) change(ch *v1alpha1.ChallengeRequest, edit func([]string, string) []string) error {
	cfg := config{ServerID: "localhost", TTL: 60}
	if ch.Config != nil {
		if err := json.Unmarshal(ch.Config.Raw, &cfg); err != nil {
			return fmt.Errorf("decoding the solver config: %v", err)
		}
	}
	key, err := s.apiKey(ch.ResourceNamespace, cfg.APIKeySecretRef)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	zoneURL := fmt.Sprintf("%s/api/v1/servers/%s/zones/%s", strings.TrimRight(cfg.Host, "/"), cfg.ServerID, ch.ResolvedZone)
	var zone struct {
		RRsets []rrset `json:"rrsets"`
	}
	if err := s.call(http.MethodGet, zoneURL, key, nil, &zone); err != nil {
		return err
	}
	values := []string{}
	for _, set := range zone.RRsets {
		if strings.EqualFold(set.Name, ch.ResolvedFQDN) && set.Type == "TXT" {
			for _, r := range set.Records {
				values = append(values, strings.Trim(r.Content, `"`))
			}
		}
	}
	values = edit(values, ch.Key)
	change := rrset{Name: ch.ResolvedFQDN, Type: "TXT", TTL: cfg.TTL, ChangeType: "REPLACE", Records: []record{}}
	if len(values) == 0 {
		change.ChangeType = "DELETE"
	}
	for _, v := range values {
		change.Records = append(change.Records, record{Content: `"` + v + `"`})
	}
	return s.call(http.MethodPatch, zoneURL, key, map[string][]rrset{"rrsets": {change}}, nil)
}

func (s *solver) apiKey(namespace string, ref secretRef) (string, error) {
	if ref.Name == "" {
		return "", nil
	}
	secret, err := s.kube.CoreV1().Secrets(namespace).Get(context.TODO(), ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading the PowerDNS API key: %v", err)
	}
	value, ok := secret.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("Secret %s/%s has no key %q", namespace, ref.Name, ref.Key)
	}
	return string(value), nil
}

func (s *solver) call(method, url, key string, body any, into any) error {
	var payload io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		payload = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, payload)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("PowerDNS API: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("PowerDNS API %s %s: %d %s", method, url, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if into != nil {
		return json.Unmarshal(data, into)
	}
	return nil
}

func main() {
	group := os.Getenv("GROUP_NAME")
	if group == "" {
		panic("GROUP_NAME must be set")
	}
	cmd.RunWebhookServer(group, &solver{})
}
