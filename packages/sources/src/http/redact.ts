// Every place a URL or a foreign error message reaches a message, a position or a callback goes through here.
// A signed storage URL carries its credentials in the query string (formats.md "v1 video frames NDJSON": the 301
// goes to signed storage), and URLs may carry user info; docs/style.md: never print a URL with its query string
// or an Authorization value.

// An http(s) URL inside free text, up to its query or fragment; the query runs to the next space or closing bracket.
const urlQueryInText = /(https?:\/\/[^\s?#]*)[?#][^\s)\]>"']*/gi

/** A URL as origin and path: no user info, query string or fragment. What errors and positions show of a URL. */
export function redactUrl(url: URL): string {
  return `${url.origin}${url.pathname}`
}

/**
 * A foreign message (an undici or system error) made safe to print: every query string of every URL in it is cut,
 * and every occurrence of a secret is replaced by `[redacted]`. None of undici's messages holds a header or a
 * query today; this keeps it so if a dependency starts echoing its request.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text.replace(urlQueryInText, '$1')
  for (const secret of secrets) if (secret !== '') out = out.replaceAll(secret, '[redacted]')
  return out
}
