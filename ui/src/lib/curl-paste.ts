// The add form's "Paste cURL": what the shell read from the paste (parse_curl) put into the
// form's draft, and the line that tells the user what was filled and what was ignored.
import type { CurlPaste } from './bindings';
import { newHeader, type FormDraft } from './form';

/** The longest paste sent to the shell, in characters; the shell refuses more anyway. */
export const MAX_CURL_CHARS = 1024 * 1024;

/**
 * `draft` with the request from the paste: URL, method, headers (replacing those in the form,
 * as the paste is the whole request) and body. The name and every other setting stay.
 */
export function applyCurlPaste(draft: FormDraft, paste: CurlPaste): FormDraft {
  return {
    ...draft,
    url: paste.url,
    method: paste.method,
    headers: paste.headers.map((h) => ({ ...newHeader(), name: h.name, value: h.value, secret: h.secret })),
    body: paste.body ?? '',
  };
}

/** "Filled: URL, method POST, 3 headers (1 secret), body." */
export function filledLine(paste: CurlPaste): string {
  return `Filled: ${paste.filled.join(', ')}.`;
}
