/** The message the portal posts to the page that frames it, so the iframe can fit its content. */
export const HEIGHT_MESSAGE = 'switchyard:portal:height';

/**
 * Tells the parent window the page's height whenever it changes. The height is no secret, so
 * any parent may read it; nothing else is posted.
 */
export function reportHeightToParent(): void {
  if (window.parent === window) return;
  let last = -1;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: HEIGHT_MESSAGE, height }, '*');
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}
