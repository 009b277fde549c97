// Attachments: bytes in Storage (bucket `parley-attachments`, under the conversation's folder), then a message pointing at them.
import type { ParleyClient } from "./client.ts";
import { fromStorageUploadError, ParleyError } from "./errors.ts";
import type { MessagesApi, SendInput } from "./messages.ts";
import type { Attachment, Message, MessageKind } from "./types.ts";

export const ATTACHMENTS_BUCKET = "parley-attachments";

/**
 * Signed URLs are bearer links Storage cannot revoke: one keeps working for anyone holding it until it
 * expires, even after its minter leaves the conversation (Storage checks membership only when signing,
 * and never lets SQL see the requested lifetime). So the SDK mints short ones: 5 minutes by default, at
 * most an hour (enough to start and seek a long video), and refuses anything longer.
 */
export const SIGNED_URL_DEFAULT_SECONDS = 300;
export const SIGNED_URL_MAX_SECONDS = 3600;

/** A removed attachment (its uploader deleted the object): the message keeps its facts, the bytes are gone. */
function assertNotRemoved(attachment: Pick<Attachment, "removed_at">): void {
  if (attachment.removed_at)
    throw new ParleyError({
      code: "attachment_removed",
      message: `the attachment was removed at ${attachment.removed_at}`,
      status: undefined,
    });
}

export interface UploadInput {
  /** What to upload: a Blob/File in browsers, bytes anywhere. */
  data: Blob | ArrayBuffer | Uint8Array;
  /** MIME type; checked against the kind's allowed types by Storage and by the database. */
  contentType: string;
  /** File name shown to users (also the object name's suffix). */
  name: string;
  /** Media facts the database keeps beside the object. */
  durationMs?: number;
  width?: number;
  height?: number;
}

/** A safe object name: `<conversation_id>/<uuid>-<name with unsafe characters replaced>`. */
export function attachmentPath(conversationId: string, name: string): string {
  const clean =
    name
      .normalize("NFC")
      .replace(/[^\w.\- ]+/g, "_")
      .replace(/^\.+/, "_")
      .slice(-120) || "file";
  return `${conversationId}/${crypto.randomUUID()}-${clean}`;
}

export interface ThumbnailOptions {
  /** Width in pixels (Storage clamps it to 1–2000); give it, the height, or both. */
  width?: number;
  /** Height in pixels (clamped like the width). */
  height?: number;
  /** How the image fills the box: `cover` (crop, the default), `contain` (fit inside) or `fill` (stretch). */
  resize?: "cover" | "contain" | "fill";
  /** Output quality, 20–100 (Storage's default is 80). */
  quality?: number;
  /** Lifetime of the URL, as for `signedUrl`: default SIGNED_URL_DEFAULT_SECONDS, at most SIGNED_URL_MAX_SECONDS. */
  expiresInSeconds?: number;
}

type Transform = { width?: number; height?: number; resize: "cover" | "contain" | "fill"; quality?: number };

export function attachmentsApi(supabase: ParleyClient, messages: MessagesApi) {
  /** Mints a signed URL (optionally of a transformed image) under the SDK's short-lifetime rules. */
  async function signed(
    attachment: Pick<Attachment, "path" | "removed_at">,
    expiresInSeconds: number,
    transform?: Transform,
  ): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
      throw new ParleyError({
        code: "signed_url_invalid",
        message: `expiresInSeconds must be a whole number of seconds, at least 1 (got ${expiresInSeconds})`,
        status: undefined,
      });
    }
    if (expiresInSeconds > SIGNED_URL_MAX_SECONDS) {
      throw new ParleyError({
        code: "signed_url_too_long",
        message: `a signed URL lives at most ${SIGNED_URL_MAX_SECONDS} seconds (asked ${expiresInSeconds}): Storage cannot revoke it`,
        status: undefined,
      });
    }
    assertNotRemoved(attachment);
    const { data, error } = await supabase.storage
      .from(ATTACHMENTS_BUCKET)
      .createSignedUrl(attachment.path, expiresInSeconds, transform ? { transform } : undefined);
    if (error || !data)
      throw new ParleyError({
        code: "signed_url_refused",
        message: error?.message ?? "no data",
        status: undefined,
        cause: error,
      });
    return data.signedUrl;
  }

  const api = {
    /** Uploads into the conversation's folder (members only, enforced by Storage's RLS) and returns the attachment to send. */
    async upload(conversationId: string, input: UploadInput): Promise<Attachment> {
      const path = attachmentPath(conversationId, input.name);
      const { error } = await supabase.storage
        .from(ATTACHMENTS_BUCKET)
        .upload(path, input.data, { contentType: input.contentType, upsert: false });
      if (error) throw fromStorageUploadError(error as { message: string; statusCode?: string | number });
      return {
        bucket: ATTACHMENTS_BUCKET,
        path,
        name: input.name,
        mime_type: input.contentType,
        ...(input.durationMs !== undefined ? { duration_ms: input.durationMs } : {}),
        ...(input.width !== undefined ? { width: input.width } : {}),
        ...(input.height !== undefined ? { height: input.height } : {}),
      };
    },

    /** Uploads, then sends a message of `kind` pointing at the object (a caption goes in `body`). */
    async send(
      conversationId: string,
      kind: Exclude<MessageKind, "text" | "system">,
      input: UploadInput & Omit<SendInput, "kind" | "attachment">,
    ): Promise<Message> {
      const attachment = await api.upload(conversationId, input);
      return messages.send(conversationId, { ...input, kind, attachment });
    },

    /** The bytes of an attachment (members only); `attachment_removed` once its uploader deleted it. */
    async download(attachment: Pick<Attachment, "path" | "removed_at">): Promise<Blob> {
      assertNotRemoved(attachment);
      const { data, error } = await supabase.storage.from(ATTACHMENTS_BUCKET).download(attachment.path);
      if (error || !data)
        throw new ParleyError({
          code: "download_refused",
          message: error?.message ?? "no data",
          status: undefined,
          cause: error,
        });
      return data;
    },

    /**
     * A URL anyone holding it can fetch until it expires: SIGNED_URL_DEFAULT_SECONDS unless given, never
     * more than SIGNED_URL_MAX_SECONDS (`signed_url_too_long`), since Storage cannot revoke it. Mint one
     * when it is about to be used (an <img> or <video> src), not to store.
     */
    async signedUrl(
      attachment: Pick<Attachment, "path" | "removed_at">,
      expiresInSeconds = SIGNED_URL_DEFAULT_SECONDS,
    ): Promise<string> {
      return signed(attachment, expiresInSeconds);
    },

    /**
     * A signed URL of a resized image attachment (Storage's image transformations), under the same
     * lifetime rules as `signedUrl`. Signing needs the same right as downloading (members only).
     *
     * @example
     * const src = await parley.attachments.thumbnailUrl(message.attachment, { width: 320, height: 240 });
     */
    async thumbnailUrl(
      attachment: Pick<Attachment, "path" | "removed_at" | "mime_type">,
      options: ThumbnailOptions,
    ): Promise<string> {
      if (!attachment.mime_type?.startsWith("image/")) {
        throw new ParleyError({
          code: "thumbnail_unsupported",
          message: `only images have thumbnails (this attachment is ${attachment.mime_type ?? "of no known type"})`,
          status: undefined,
        });
      }
      for (const [field, value] of [
        ["width", options.width],
        ["height", options.height],
      ] as const) {
        if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
          throw new ParleyError({
            code: "thumbnail_invalid",
            message: `${field} must be a whole number of pixels, at least 1 (got ${value})`,
            status: undefined,
          });
        }
      }
      if (options.width === undefined && options.height === undefined)
        throw new ParleyError({
          code: "thumbnail_invalid",
          message: "give a width, a height or both",
          status: undefined,
        });
      const transform = {
        width: options.width,
        height: options.height,
        resize: options.resize ?? "cover",
        ...(options.quality !== undefined ? { quality: options.quality } : {}),
      };
      return signed(attachment, options.expiresInSeconds ?? SIGNED_URL_DEFAULT_SECONDS, transform);
    },

    /**
     * Deletes the object (its uploader only, while a member). A sent one cannot be replaced or moved, only
     * deleted: its message stays, with `attachment.removed_at` set (and `edited_at`, so members get
     * `message_edited`). `remove_refused` when the caller may not delete it.
     */
    async remove(attachment: Pick<Attachment, "path">): Promise<void> {
      const { data, error } = await supabase.storage.from(ATTACHMENTS_BUCKET).remove([attachment.path]);
      if (error || !data || data.length === 0)
        throw new ParleyError({
          code: "remove_refused",
          message: error?.message ?? "not your upload, or already removed",
          status: undefined,
          cause: error,
        });
    },
  };
  return api;
}

export type AttachmentsApi = ReturnType<typeof attachmentsApi>;
