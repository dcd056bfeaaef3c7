import { writeFileAtomic } from '../util/atomic.js';
import type { Leaderboard } from './leaderboard.js';
import { renderLeaderboardJson, renderLeaderboardMarkdown } from './leaderboard-markdown.js';

/** Where the JSON goes beside a markdown file: leaderboard.md -> leaderboard.json, other names + .json. */
export function leaderboardJsonPath(markdownPath: string): string {
  return markdownPath.endsWith('.md') ? `${markdownPath.slice(0, -'.md'.length)}.json` : `${markdownPath}.json`;
}

/** Writes the markdown and the JSON, each atomically; returns both paths. */
export async function writeLeaderboard(markdownPath: string, lb: Leaderboard): Promise<{ markdown: string; json: string }> {
  const json = leaderboardJsonPath(markdownPath);
  await writeFileAtomic(markdownPath, renderLeaderboardMarkdown(lb));
  await writeFileAtomic(json, renderLeaderboardJson(lb));
  return { markdown: markdownPath, json };
}
