package store

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kam"
)

// registerKeying is how this process seals and verifies the access register
// (Art. 9): the key of the chain's HMAC and of the checkpoints' signatures,
// and the file the checkpoints are appended to outside the database.
type registerKeying struct {
	key         []byte
	checkpoints string
}

// MinRegisterKey is the shortest register key accepted, in bytes.
const MinRegisterKey = 32

// ParseRegisterKey reads a register key written in hex or base64 (standard
// or URL alphabet, padded or not); it must hold at least MinRegisterKey bytes.
func ParseRegisterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	key, err := hex.DecodeString(s)
	if err != nil {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if key, err = enc.DecodeString(s); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, errors.New("not hex or base64")
	}
	if len(key) < MinRegisterKey {
		return nil, fmt.Errorf("%d bytes; use at least %d (e.g. openssl rand -hex 32)", len(key), MinRegisterKey)
	}
	return key, nil
}

// ReadRegisterKey reads the register key kept in a file (hex or base64).
func ReadRegisterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseRegisterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// CreateRegisterKey writes a new random key, readable by its owner only; a
// file created meanwhile by another process wins.
func CreateRegisterKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, MinRegisterKey)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return ReadRegisterKey(path)
	}
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}

// SetRegisterKey keys the chain and the checkpoints. Call it before the store
// is shared.
func (s *Store) SetRegisterKey(key []byte) { s.reg.key = key }

// SetCheckpointFile names the file checkpoints are appended to and that
// Verify holds the chain against; "" keeps none.
func (s *Store) SetCheckpointFile(path string) { s.reg.checkpoints = path }

// Checkpoint is a signed statement of the chain's length and head, kept
// outside the database (a file, the auditors' inboxes and webhook), so a
// later cut or re-sealing of the chain shows.
type Checkpoint struct {
	Position  int64     `json:"position"`
	Head      string    `json:"head" doc:"Hash of the row at position, hex"`
	At        time.Time `json:"at"`
	Signature string    `json:"signature" doc:"HMAC-SHA256 of position, head and at with the register key, hex"`
}

// checkpointMAC signs what a checkpoint states; the prefix keeps a row hash
// from ever passing for a signature.
func checkpointMAC(key []byte, c Checkpoint) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "kam-register-checkpoint/v1\n%d\n%s\n%s", c.Position, c.Head, c.At.UTC().Format(time.RFC3339Nano))
	return m.Sum(nil)
}

// Valid says whether c is well formed and signed with key.
func (c Checkpoint) Valid(key []byte) bool {
	sig, err := hex.DecodeString(c.Signature)
	head, herr := hex.DecodeString(c.Head)
	return err == nil && herr == nil && c.Position > 0 && len(head) == sha256.Size &&
		hmac.Equal(sig, checkpointMAC(key, c))
}

// TakeCheckpoint seals what is pending and signs the chain's head; ok is
// false while the chain is empty.
func (s *Store) TakeCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error) {
	if _, err := s.Seal(ctx); err != nil {
		return c, false, err
	}
	head, err := s.q.ChainHead(ctx)
	if err != nil {
		if err = interpret(err); err == kam.ErrNotFound {
			return c, false, nil
		}
		return c, false, err
	}
	c = Checkpoint{Position: head.ChainPos, Head: hex.EncodeToString(head.Hash), At: time.Now().UTC()}
	c.Signature = hex.EncodeToString(checkpointMAC(s.reg.key, c))
	return c, true, nil
}

// AppendCheckpoint adds c to the checkpoint file as one JSON line, synced.
func (s *Store) AppendCheckpoint(c Checkpoint) error {
	if s.reg.checkpoints == "" {
		return nil
	}
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.reg.checkpoints, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// LastCheckpoint is the newest valid checkpoint of the file, if any.
func (s *Store) LastCheckpoint() (*Checkpoint, error) {
	c, _, err := s.newestCheckpoint(nil)
	return c, err
}

// newestCheckpoint reads the checkpoint file and extra and returns the valid
// checkpoint with the highest position. bad describes the first line that
// does not parse or whose signature fails: evidence of tampering outside the
// database.
func (s *Store) newestCheckpoint(extra []Checkpoint) (newest *Checkpoint, bad string, err error) {
	consider := func(c Checkpoint, where string) bool {
		if !c.Valid(s.reg.key) {
			bad = fmt.Sprintf("the checkpoint at position %d (%s) has a bad signature", c.Position, where)
			return false
		}
		if newest == nil || c.Position > newest.Position {
			newest = &c
		}
		return true
	}
	for i, c := range extra {
		if !consider(c, "given checkpoint "+strconv.Itoa(i+1)) {
			return nil, bad, nil
		}
	}
	if s.reg.checkpoints == "" {
		return newest, "", nil
	}
	f, err := os.Open(s.reg.checkpoints)
	if errors.Is(err, os.ErrNotExist) {
		return newest, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		where := fmt.Sprintf("line %d of %s", line, s.reg.checkpoints)
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, where + " is not a checkpoint", nil
		}
		if !consider(c, where) {
			return nil, bad, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Sprintf("%s cannot be read: %v", s.reg.checkpoints, err), nil
	}
	return newest, "", nil
}
