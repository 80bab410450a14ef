// Ask without leaving the page; without scripts the form works as a plain GET.
document.getElementById("ask").addEventListener("submit", async (event) => {
  const input = document.getElementById("q");
  const question = input.value.trim();
  if (!question) return;
  event.preventDefault();
  const url = new URL(event.target.action, window.location.href);
  url.searchParams.set("q", question);
  url.searchParams.set("partial", "1");
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) { event.target.submit(); return; }
  document.getElementById("conversation").insertAdjacentHTML("beforeend", await response.text());
  input.value = "";
  input.focus();
});
