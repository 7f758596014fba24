package identity

import "testing"

func TestSPIFFERoundTrip(t *testing.T) {
	id := Identity{TrustDomain: "cluster.local", Namespace: "demo", ServiceAccount: "reviews"}
	if got := id.SPIFFE(); got != "spiffe://cluster.local/ns/demo/sa/reviews" {
		t.Fatalf("SPIFFE() = %q", got)
	}
	back, err := ParseSPIFFE(id.SPIFFE())
	if err != nil || back != id {
		t.Fatalf("ParseSPIFFE(%q) = %+v, %v", id.SPIFFE(), back, err)
	}
}

func TestParseSPIFFERefusesOtherShapes(t *testing.T) {
	for _, bad := range []string{
		"", "https://cluster.local/ns/a/sa/b", "spiffe://cluster.local/ns/a", "spiffe://cluster.local/sa/b/ns/a",
		"spiffe:///ns/a/sa/b", "spiffe://td/ns//sa/b", "spiffe://td/ns/a/sa/b/extra",
	} {
		if _, err := ParseSPIFFE(bad); err == nil {
			t.Errorf("ParseSPIFFE(%q) accepted", bad)
		}
	}
}

func TestFromServiceAccountUser(t *testing.T) {
	id, err := FromServiceAccountUser("td", "system:serviceaccount:ns1:sa1")
	if err != nil || id.Namespace != "ns1" || id.ServiceAccount != "sa1" || id.TrustDomain != "td" {
		t.Fatalf("got %+v, %v", id, err)
	}
	for _, bad := range []string{"admin", "system:serviceaccount:ns1", "system:serviceaccount::sa", "system:serviceaccount:a:b:c"} {
		if _, err := FromServiceAccountUser("td", bad); err == nil {
			t.Errorf("FromServiceAccountUser(%q) accepted", bad)
		}
	}
}
