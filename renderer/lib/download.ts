// Save text the page has put together (an export) as a file: the browser's download of a Blob.
// Parts are kept as they are (a Blob can hold more than one string can).
export function downloadParts(name: string, parts: string[], type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob(parts, { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
