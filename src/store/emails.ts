import type { Readable } from 'node:stream'
import type { StoreContext } from './context.ts'
import { appendEmail, deliverEmail } from './emails-append.ts'
import { copyEmails, expungeEmails, moveEmails } from './emails-copy.ts'
import { setKeywords } from './emails-keywords.ts'
import { messageFlags } from './emails-flags.ts'
import { changedSince, expungedSince, listMessages, messageBody, messageInfo, messageStream } from './emails-read.ts'
import { searchFolder, sortFolder } from './search.ts'
import type {
  AccountId, AppendInput, AppendResult, CopyResult, Emails, FolderId, InfoOptions, MessageFlags, MessageInfo, MessageRef, SearchKey, SortKey,
  StoreKeywordsInput, StoreKeywordsResult,
} from './store.ts'

/** The Emails noun: each verb lives in the file named for it; this only binds them to the context. */
export class EmailsImpl implements Emails {
  readonly #ctx: StoreContext
  constructor(ctx: StoreContext) {
    this.#ctx = ctx
  }

  append(account: AccountId, folder: FolderId, input: AppendInput): Promise<AppendResult> {
    return appendEmail(this.#ctx, account, folder, input)
  }

  deliver(accounts: readonly AccountId[], input: AppendInput & { deliveryId?: string }): Promise<Map<AccountId, AppendResult | Error>> {
    return deliverEmail(this.#ctx, accounts, input)
  }

  list(account: AccountId, folder: FolderId): Promise<MessageRef[]> {
    return listMessages(this.#ctx, account, folder)
  }

  info(account: AccountId, folder: FolderId, uids: readonly number[], options?: InfoOptions): Promise<MessageInfo[]> {
    return messageInfo(this.#ctx, account, folder, uids, options)
  }

  flags(account: AccountId, folder: FolderId, uids: readonly number[]): Promise<MessageFlags[]> {
    return messageFlags(this.#ctx, account, folder, uids)
  }

  body(account: AccountId, blobId: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    return messageBody(this.#ctx, account, blobId, range)
  }

  stream(account: AccountId, blobId: string): Promise<Readable> {
    return messageStream(this.#ctx, account, blobId)
  }

  setKeywords(account: AccountId, folder: FolderId, uids: readonly number[], change: StoreKeywordsInput): Promise<StoreKeywordsResult> {
    return setKeywords(this.#ctx, account, folder, uids, change)
  }

  copy(account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult> {
    return copyEmails(this.#ctx, account, from, uids, to)
  }

  move(account: AccountId, from: FolderId, uids: readonly number[], to: FolderId): Promise<CopyResult> {
    return moveEmails(this.#ctx, account, from, uids, to)
  }

  expunge(account: AccountId, folder: FolderId, uids: readonly number[]): Promise<number[]> {
    return expungeEmails(this.#ctx, account, folder, uids)
  }

  search(account: AccountId, folder: FolderId, key: SearchKey): Promise<number[]> {
    return searchFolder(this.#ctx, account, folder, key)
  }

  sort(account: AccountId, folder: FolderId, sort: readonly SortKey[], key: SearchKey): Promise<number[]> {
    return sortFolder(this.#ctx, account, folder, sort, key)
  }

  expungedSince(account: AccountId, folder: FolderId, modseq: number): Promise<number[]> {
    return expungedSince(this.#ctx, account, folder, modseq)
  }

  changedSince(account: AccountId, folder: FolderId, modseq: number): Promise<MessageRef[]> {
    return changedSince(this.#ctx, account, folder, modseq)
  }
}
