/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* clap-id-journal.c: room kept beside the history for the task ids it
 * could not record yet. */

typedef struct _ClapIdJournal ClapIdJournal;

/* One id the journal keeps: the take @uid, in its submission @attempt, was
 * created by the service as @task_id at @time (ms since the epoch). */
typedef struct {
  guint   slot;
  char   *uid;
  char   *task_id;
  gint64  attempt;
  gint64  time;
} ClapIdEntry;

#define CLAP_ID_JOURNAL_SLOTS 128

ClapIdJournal *_clap_id_journal_open     (const char     *path,
                                          gboolean        read_only);
void           _clap_id_journal_free     (ClapIdJournal  *self);
const char    *_clap_id_journal_get_path (ClapIdJournal  *self);
gboolean       _clap_id_journal_is_ready (ClapIdJournal  *self);
GPtrArray     *_clap_id_journal_read     (ClapIdJournal  *self);
gint           _clap_id_journal_keep     (ClapIdJournal  *self,
                                          const char     *uid,
                                          const char     *task_id,
                                          gint64          attempt,
                                          GError        **error);
gboolean       _clap_id_journal_forget   (ClapIdJournal  *self,
                                          guint           slot,
                                          const char     *uid,
                                          const char     *task_id);
void           _clap_id_entry_free       (ClapIdEntry    *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClapIdJournal, _clap_id_journal_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClapIdEntry, _clap_id_entry_free)

G_END_DECLS
