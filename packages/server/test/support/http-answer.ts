/** A response read whole: its text, and its body parsed as JSON when it is JSON (else the text). */
export interface HttpAnswer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

export async function readAnswer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, text, body, headers: response.headers };
}
