// What documented commands ask of curl (`curl -s URL -H 'name: value' -d BODY`), for machines
// without it: a POST when there is a body, the response body on stdout.
const args = process.argv.slice(2);
const headers: Record<string, string> = {};
let url = '';
let body: string | undefined;
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '-H') {
    const [name, ...value] = args[++i]!.split(':');
    headers[name!.trim()] = value.join(':').trim();
  } else if (arg === '-d') {
    body = args[++i];
  } else if (!arg.startsWith('-')) {
    url = arg;
  }
}
const response = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body });
process.stdout.write(await response.text());
