import { useEffect, useState } from 'react';

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'switchyard-portal-theme';

function stored(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The theme chosen (kept per browser), applied to the document as `data-theme`. */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(stored);
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = () => {
      const dark = choice === 'dark' || (choice === 'system' && media.matches);
      document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [choice]);
  return [
    choice,
    (next) => {
      if (next === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
      setChoice(next);
    },
  ];
}

/**
 * The workspace's brand colour as the accent, with a text colour that reads on it. Set through
 * the CSSOM, which the page's Content-Security-Policy allows (inline styles it does not).
 */
export function applyBrandColor(color: string | null): void {
  const root = document.documentElement.style;
  if (!color) {
    root.removeProperty('--accent');
    root.removeProperty('--on-accent');
    return;
  }
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16) / 255) as [number, number, number];
  const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  root.setProperty('--accent', color);
  root.setProperty('--on-accent', luminance > 0.4 ? '#111827' : '#ffffff');
}
