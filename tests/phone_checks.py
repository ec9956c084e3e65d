"""What a page must hold on a 360-px phone, checked in the real browser: every tap target at
least 44×44 px, and nothing that scrolls sideways (a table whose last columns are out of sight)."""

TAP_MIN_PX = 44

_SMALL_TARGETS = """(min) => {
  const out = [], seen = new Set();
  for (const el of document.querySelectorAll('a[href], button, select, input:not([type=hidden]), summary, textarea')) {
    // A radio or a checkbox is tapped through its label.
    const box = el.matches('input[type=radio], input[type=checkbox]') ? (el.closest('label') || el) : el;
    if (seen.has(box)) continue;
    seen.add(box);
    const r = box.getBoundingClientRect();
    if (!r.width && !r.height) continue;  // not shown
    // A link inside a sentence is exempt, as WCAG 2.5.8 allows: it cannot grow without breaking the text.
    const inSentence = el.closest('p, small, h1, h2, h3') && !el.closest('nav, td, li, .actions, .dates');
    if (el.tagName === 'A' && inSentence) continue;
    // Two targets on top of each other are as bad as a small one.
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (r.top >= 0 && r.bottom <= window.innerHeight && hit && !box.contains(hit) && !hit.contains(box))
      out.push(`${el.tagName.toLowerCase()} «${(el.innerText || '').trim().slice(0, 40)}» covered by ` +
               hit.tagName.toLowerCase());
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40);
      out.push(`${el.tagName.toLowerCase()} «${name}» ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return out;
}"""

_SIDEWAYS = """() => {
  const out = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth + 1) out.push('page ' + width);
  for (const el of document.querySelectorAll('header *, main *')) {
    const style = getComputedStyle(el);
    if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  return out;
}"""


def small_tap_targets(page) -> list[str]:
    return page.evaluate(_SMALL_TARGETS, TAP_MIN_PX)


def sideways_scroll(page) -> list[str]:
    return page.evaluate(_SIDEWAYS)


def assert_fits_the_phone(page) -> None:
    """Every tap target big enough and nothing out of sight sideways, on the page as it is now."""
    page.wait_for_load_state("load")  # measured with its stylesheet, not before it arrives
    small, sideways = small_tap_targets(page), sideways_scroll(page)
    assert not small, f"{page.url}: tap targets under {TAP_MIN_PX} px: {small}"
    assert not sideways, f"{page.url}: scrolls sideways: {sideways}"
