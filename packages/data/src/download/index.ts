export { ArchiveError, ChecksumMismatchError, DownloadError } from './errors.js';
export { nodeHttpGet, type HttpGet, type HttpRequest, type HttpResponse } from './http-get.js';
export { downloadFile, type ChecksumCheck, type DownloadFileOptions, type DownloadLog, type DownloadResult } from './download-file.js';
export { readLockedSha256, sha256File } from './sha256.js';
export { TarFormatError, readTar, type TarBody, type TarEntry, type TarEntryType } from './tar-reader.js';
export { globToRegExp, memberMatcher, normalizeMemberPath } from './member-paths.js';
export { extractTarGz, sniffArchiveFormat, type ArchiveFormat, type ExtractResult, type ExtractTarGzOptions } from './extract-tar-gz.js';
export { verifyArchive, type VerifiedArchive } from './verify-archive.js';
export {
  SOURCES_FORMAT_VERSION,
  defaultSourcesManifestPath,
  parseSourcesManifest,
  readSourcesManifest,
  type SourceArchive,
  type SourcesManifest,
  type TaskSource,
} from './sources-manifest.js';
export {
  downloadTaskSources,
  type DownloadTaskSourcesOptions,
  type SourcesPhase,
  type TaskSourcesResult,
} from './download-task-sources.js';
