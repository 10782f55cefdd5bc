package probes

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/scap/oval"
)

func (s *state) accounts(ctx context.Context, env *oval.Env) (*accounts.DB, error) {
	return memoGet(s, env.Target, "accounts", func() (*accounts.DB, error) {
		return accounts.Collect(ctx, env.Target)
	})
}

// password is password_object: the entries of the target's /etc/passwd.
func (s *state) password(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	db, err := s.accounts(ctx, env)
	if err != nil {
		return oval.Collected{}, fmt.Errorf("/etc/passwd: %w", err)
	}
	ue := obj.Entity("username")
	var items []oval.Item
	for _, u := range db.Users {
		ok, err := ue.Match(u.Name)
		if err != nil {
			return oval.Collected{}, err
		}
		if !ok {
			continue
		}
		items = append(items, oval.Item{Fields: map[string][]oval.Value{
			"username":    str(u.Name),
			"password":    str(u.Passwd),
			"user_id":     intv(int64(u.UID)),
			"group_id":    intv(int64(u.GID)),
			"gcos":        str(u.Gecos),
			"home_dir":    str(u.Home),
			"login_shell": str(u.Shell),
		}})
	}
	return collected(items), nil
}

// shadow is shadow_object: the entries of the target's /etc/shadow (for
// users /etc/passwd also lists). Empty numeric fields are left out.
func (s *state) shadow(ctx context.Context, obj *oval.Object, env *oval.Env) (oval.Collected, error) {
	db, err := s.accounts(ctx, env)
	if err != nil {
		return oval.Collected{}, fmt.Errorf("/etc/shadow: %w", err)
	}
	if !db.ShadowReadable {
		return oval.Collected{}, fmt.Errorf("/etc/shadow: %s", db.ShadowError)
	}
	ue := obj.Entity("username")
	var items []oval.Item
	for _, u := range db.Users {
		if u.Shadow == nil {
			continue
		}
		ok, err := ue.Match(u.Name)
		if err != nil {
			return oval.Collected{}, err
		}
		if !ok {
			continue
		}
		sh := u.Shadow
		f := map[string][]oval.Value{
			"username": str(u.Name),
			"password": str(sh.Hash),
		}
		if m, ok := encryptMethods[accounts.Scheme(sh.Hash)]; ok {
			f["encrypt_method"] = str(m)
		}
		for name, v := range map[string]int64{
			"chg_lst": sh.LastChange, "chg_allow": sh.MinDays, "chg_req": sh.MaxDays,
			"exp_warn": sh.WarnDays, "exp_inact": sh.Inactive, "exp_date": sh.Expire,
		} {
			if v >= 0 {
				f[name] = []oval.Value{{Datatype: oval.Int, Text: strconv.FormatInt(v, 10)}}
			}
		}
		items = append(items, oval.Item{Fields: f})
	}
	return collected(items), nil
}

// encryptMethods maps crypt(5) schemes onto OVAL's EntityStateEncryptMethodType.
var encryptMethods = map[string]string{
	"descrypt": "DES", "bsdicrypt": "BSDi", "md5crypt": "MD5", "bcrypt": "Blowfish",
	"sunmd5": "Sun MD5", "sha256crypt": "SHA-256", "sha512crypt": "SHA-512",
}
