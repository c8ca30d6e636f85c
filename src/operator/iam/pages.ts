// Plain server-rendered HTML for the sign-in pages: no script at all, no
// inline style, every interpolated value escaped, and headers that forbid
// framing, sniffing and caching. The Content-Security-Policy allows nothing
// but forms posting back to this origin.

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-type': 'text/html; charset=utf-8',
};

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A complete page; `body` is trusted markup built with escapeHtml. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Interlock</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export interface Field {
  readonly name: string;
  readonly label: string;
  readonly type: 'text' | 'password' | 'hidden';
  readonly autocomplete?: string;
  readonly value?: string;
  readonly inputmode?: 'numeric';
}

/** A form posting to `action` (a path on this origin). */
export function form(action: string, fields: readonly Field[], submit: string): string {
  const inputs = fields.map((f) => {
    const attributes = [
      `type="${f.type}"`, `name="${escapeHtml(f.name)}"`, `id="${escapeHtml(f.name)}"`,
      ...(f.autocomplete === undefined ? [] : [`autocomplete="${escapeHtml(f.autocomplete)}"`]),
      ...(f.value === undefined ? [] : [`value="${escapeHtml(f.value)}"`]),
      ...(f.inputmode === undefined ? [] : [`inputmode="${f.inputmode}"`]),
      ...(f.type === 'hidden' ? [] : ['required']),
    ].join(' ');
    return f.type === 'hidden' ? `<input ${attributes}>` : `<p><label for="${escapeHtml(f.name)}">${escapeHtml(f.label)}</label><br><input ${attributes}></p>`;
  }).join('\n');
  return `<form method="post" action="${escapeHtml(action)}">\n${inputs}\n<p><button type="submit">${escapeHtml(submit)}</button></p>\n</form>`;
}

export function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}
