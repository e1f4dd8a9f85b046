package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pforte"
	"pforte/store"
	"pforte/store/storetest"
)

// The last business link removed ends the account's grants of the
// services for businesses (tokens gone, back-channel logout queued); an
// earlier one and the other services' grants leave them be.
func TestLastUnlinkEndsBusinessGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, url string) {
		db, ctx := open(t, url), context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		a, st := accountWithSession(t, db, "betrieb@example.de", now)
		hash := st.Hash
		if _, err := db.Q().OIDCSubject(ctx, a.ID, "sub-betrieb"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []store.OIDCClient{
			{ID: "betrieb", Name: "Betrieb", RequireBusiness: true, RedirectURIs: []string{"https://a/cb"}, BackchannelURI: "https://a/bc"},
			{ID: "alle", Name: "Alle", RedirectURIs: []string{"https://b/cb"}, BackchannelURI: "https://b/bc"}} {
			if _, err := db.Q().InsertOIDCClient(ctx, c); err != nil {
				t.Fatal(err)
			}
			_, th := pforte.NewSecret()
			if err := db.Q().InsertOIDCToken(ctx, store.OIDCToken{Hash: th, Kind: "refresh", GrantHash: "g-" + c.ID, ClientID: c.ID,
				AccountID: a.ID, SessionHash: hash, SID: st.SID, Scopes: []string{"openid"}, AuthTime: now, AMR: "pwd",
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		second := bakery
		second.Number = "A-1"
		for _, b := range []pforte.Business{bakery, second} {
			db.Q().SaveBusiness(ctx, b, now)
			if _, err := db.Q().Link(ctx, a.ID, b.Number, now); err != nil {
				t.Fatal(err)
			}
		}

		if err := db.Q().Unlink(ctx, a.ID, bakery.Number); err != nil {
			t.Fatal(err)
		}
		if has, _ := db.Q().HasOIDCTokens(ctx, "betrieb", hash); !has {
			t.Fatal("one business left, yet the grant ended")
		}
		if err := db.Q().Unlink(ctx, a.ID, second.Number); err != nil {
			t.Fatal(err)
		}
		if has, _ := db.Q().HasOIDCTokens(ctx, "betrieb", hash); has {
			t.Fatal("no business left, yet the grant remains")
		}
		if has, _ := db.Q().HasOIDCTokens(ctx, "alle", hash); !has {
			t.Fatal("the service for everyone lost its grant")
		}
		l, err := db.Q().ClaimOIDCLogout(ctx, time.Now(), time.Minute)
		if err != nil || l.ClientID != "betrieb" || l.SID != st.SID || l.Sub != "sub-betrieb" {
			t.Fatalf("logout %+v %v", l, err)
		}
		if _, err := db.Q().ClaimOIDCLogout(ctx, time.Now(), time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a second logout: %v", err)
		}
		if _, err := db.Q().SessionByHash(ctx, hash); err != nil {
			t.Fatalf("the session ended: %v", err)
		}
	})
}
