// The one way the console talks to kam: documented /v1 routes with the
// bearer token the user typed (kept in this tab's sessionStorage only).
const KEY = 'kam.token';
let language = 'en';
let purpose = '';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export function setLanguage(l) { language = l; }

// setPurpose is sent as X-Access-Purpose (Art. 9). Header values are bytes:
// the UTF-8 of the text is sent byte for byte, as the API expects.
export function setPurpose(p) { purpose = p || ''; }
function headerBytes(s) {
  return String.fromCharCode(...new TextEncoder().encode(s));
}

// ApiError is a problem response (RFC 9457): detail in the user's language,
// fields maps a body field to its message.
export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || '';
    this.fields = {};
    for (const e of (body && body.errors) || []) {
      const name = String(e.location || '').replace(/^body\.?/, '').replace(/^(query|header|path)\./, '');
      if (name && !this.fields[name]) this.fields[name] = e.message;
    }
  }
  // refused: the API will not show this to the caller (the console hides it).
  get refused() { return this.status === 403 || this.status === 404; }
}

export async function request(method, path, { body, headers = {}, accept } = {}) {
  const h = { 'Accept-Language': language, ...headers };
  const tok = session.token();
  if (tok) h.Authorization = 'Bearer ' + tok;
  if (purpose) h['X-Access-Purpose'] = headerBytes(purpose.slice(0, 200));
  if (accept) h.Accept = accept;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { detail: String(e) });
  }
  if (res.status === 401 && tok) window.dispatchEvent(new CustomEvent('kam-unauthenticated'));
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (type.includes('json')) data = await res.json().catch(() => null);
  else if (res.status !== 204) data = await res.blob();
  if (!res.ok) throw new ApiError(res.status, data && data.code ? data : { detail: data && data.detail });
  return { data, etag: res.headers.get('ETag'), status: res.status };
}

export const get = (path, o) => request('GET', path, o).then((r) => r.data);
export const post = (path, body, o) => request('POST', path, { ...o, body }).then((r) => r.data);

// qs builds a query string from the non-empty values of o.
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

// all follows next_cursor up to max pages (small reference lists).
export async function all(path, max = 5) {
  const out = [];
  let cursor = '';
  for (let i = 0; i < max; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(path + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''));
    out.push(...(page.items || []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}

// download fetches a CSV with the token and saves it (a plain link would
// not carry the Authorization header).
export async function download(path, filename) {
  const { data } = await request('GET', path, { accept: 'text/csv' });
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
