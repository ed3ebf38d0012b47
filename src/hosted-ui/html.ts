/**
 * Pages are built with the `html` tag: every interpolated value is escaped unless it is itself
 * the result of `html` (or an array of such), so input can never become markup.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:var(--page-bg,#f4f5f7);margin:0;color:#16191f}a{color:var(--link,#0972d3)}
main{max-width:24rem;margin:3rem auto;background:var(--form-bg,#fff);padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;margin-top:.3rem;border:1px solid #8d99a8;border-radius:4px;font-size:1rem}
input:focus,button:focus,a:focus{outline:3px solid #0972d3;outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;background:var(--button-bg,#0972d3);color:var(--button-text,#fff);border:0;border-radius:4px;font-size:1rem;cursor:pointer}
input[type=radio]{width:auto;margin:0 .5rem 0 0}fieldset{border:0;padding:0;margin:1rem 0 0}legend{font-weight:600}fieldset label{font-weight:400}code{word-break:break-all}#otpauth{word-break:break-all}
.error{background:#fff1f0;border:1px solid #d91515;color:#8b0000;padding:.6rem;border-radius:4px}
.client{color:#5f6b7a;margin-bottom:1rem}.logo-customizable{max-width:100%;max-height:80px;display:block;margin:0 auto 1rem}nav{margin-top:1.2rem;font-size:.9rem}nav a{margin-right:1rem}
`;

/**
 * A whole page: plain, accessible (one h1, labelled fields, visible focus), no script. The
 * elements carry Cognito's `*-customizable` classes, so the pool's UI customization CSS (given in
 * `look`, after ours) styles them as in Cognito's classic hosted UI.
 */
export function page(title: string, body: SafeHtml, opts: { clientName?: string; look?: { css?: string; logoUrl?: string; vars?: string } } = {}): string {
  const look = opts.look ?? {};
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${new SafeHtml(STYLE)}</style>${look.vars ? html`<style>:root{${new SafeHtml(look.vars.replace(/[^-#:;a-z0-9]/gi, ''))}}</style>` : ''}${look.css ? html`<style>${new SafeHtml(look.css.replace(/</g, ''))}</style>` : ''}</head>
<body class="background-customizable"><main class="banner-customizable">
${look.logoUrl ? html`<img class="logo-customizable" src="${look.logoUrl}" alt="${opts.clientName ?? 'Logo'}">` : ''}
${opts.clientName ? html`<p class="client textDescription-customizable">${opts.clientName}</p>` : ''}
<h1>${title}</h1>
${body}
</main></body></html>`.text;
}

/** An error paragraph that screen readers announce. */
export const errorBox = (message: string | undefined) => (message ? html`<p class="error errorMessage-customizable" role="alert" id="error">${message}</p>` : '');
