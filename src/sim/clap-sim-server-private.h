/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clap-sim-server.h"

G_BEGIN_DECLS

#define CLAP_SIM_N_ENDPOINTS        (CLAP_SIM_ENDPOINT_CALLBACK + 1)

/* The files endpoint's limit, as the provider's upload page states it. */
#define CLAP_SIM_MAX_FILE_SIZE      (G_GINT64_CONSTANT (100) * 1024 * 1024)

/* An uploaded file's publicUrl stays valid this long after its PUT. */
#define CLAP_SIM_PUBLIC_URL_TTL_US  (G_GINT64_CONSTANT (7) * 24 * 3600 * G_USEC_PER_SEC)

/* Keys with a meaning of their own, so a person can try the error paths. */
#define CLAP_SIM_KEY_UNAUTHORIZED   "sim-unauthorized"
#define CLAP_SIM_KEY_NO_BALANCE     "sim-no-balance"

typedef enum {
  CLAP_SIM_STATE_PENDING,
  CLAP_SIM_STATE_PROCESSING,
  CLAP_SIM_STATE_COMPLETED,
  CLAP_SIM_STATE_FAILED,
  CLAP_SIM_STATE_CANCELLED,
} ClapSimState;

/* What a render draws; plain data so that a worker thread can own a copy. */
typedef struct {
  char    *caption;
  char    *text;
  guint    width;
  guint    height;
  guint    fps;
  double   duration_s;
  gboolean audio;
} ClapSimRenderSpec;

typedef struct {
  double   duration_s;
  guint    width;
  guint    height;
  gboolean has_video;
  gboolean has_audio;
} ClapSimMediaInfo;

/* The `[sim:…]` keywords found in a prompt. */
typedef struct {
  gboolean      fail;
  char         *fail_msg;
  ClapSimFault  create_fault;
  ClapSimFault  query_fault;
  guint         query_count;
  guint         download_status;
  gboolean      slow_render;
  char         *echo_model;   /* the model answers name instead of the real one */
  gboolean      no_link;      /* completed, with no result URL in any field */
  char         *state_word;   /* the state answered while processing */
  gboolean      same_id;      /* created with the previous task's id */
  gboolean      cancel;       /* ends cancelled */
} ClapSimKeywords;

typedef struct {
  char   *id;
  char   *name;
  char   *content_type;
  char   *path;
  goffset size;
  /* Wall-clock µs of the completed PUT; 0 while the file is not there yet. */
  gint64  uploaded_at;
} ClapSimFile;

typedef struct {
  char        *token;
  char        *file_id;
  char        *signature;
  gint64       expires_at;   /* wall-clock µs */
} ClapSimUploadSlot;

/* A request paused until a timer or a worker thread lets it go on. */
typedef struct _ClapSimHeld ClapSimHeld;

typedef struct {
  ClapSimServer     *server;
  /* The id answered to clients; two tasks share one after [sim:same-id]. */
  char              *id;
  /* Unique: the key of the tasks table, its renders and result URLs. */
  char              *key;
  /* 1 for the first task created, 2 for the next…: which of its
   * dialect's shapes the task is answered in. */
  guint              ordinal;
  char              *model;
  JsonObject        *params;
  char              *callback_url;
  ClapSimState       state;
  gint64             create_time;    /* ms since the epoch */
  gint64             complete_time;  /* ms since the epoch, 0 until final */
  gint64             complete_mono;  /* monotonic µs, for result-ttl-ms */
  ClapSimRenderSpec  spec;
  ClapSimKeywords    keywords;
  char              *fail_code;
  char              *fail_msg;
  char              *video_path;
  char              *thumbnail_path;
  gboolean           render_done;
  gboolean           processing_elapsed;
  GSource           *timer;
} ClapSimTask;

struct _ClapSimServer
{
  GObject        parent_instance;

  SoupServer    *soup;
  GMainContext  *context;
  GCancellable  *cancellable;
  char          *base_url;
  guint          port;

  guint          pending_ms;
  guint          processing_ms;
  guint          slow_ms;
  guint          result_ttl_ms;
  guint          upload_url_ttl_ms;
  gboolean       full_resolution;
  double         time_scale;
  char          *result_file;
  char          *data_dir;
  char          *accepted_key;

  /* The private data dir made when none was set, removed on finalize. */
  char          *temp_dir;
  guint8         secret[32];

  ClapSimDialect dialect;

  GHashTable    *tasks;        /* key → ClapSimTask */
  GHashTable    *task_ids;     /* id → the newest ClapSimTask answering to it */
  guint          n_created;
  char          *last_id;      /* the id of the task created last */
  GHashTable    *files;        /* id → ClapSimFile */
  GHashTable    *uploads;      /* token → ClapSimUploadSlot */
  GQueue         faults[CLAP_SIM_N_ENDPOINTS];
  guint          request_counts[CLAP_SIM_N_ENDPOINTS];
  GPtrArray     *held;         /* paused messages waiting for a timer or a probe */
  GPtrArray     *deliveries;   /* callbacks still being sent */
  SoupSession   *callback_session;

  /* Worker threads (renders, probes) still running: dispose waits for
   * them, so that none writes into a data dir that finalize removes. */
  GMutex         workers_lock;
  GCond          workers_cond;
  guint          n_workers;
};

/* clap-sim-server.c */
void          _clap_sim_server_count_request  (ClapSimServer      *self,
                                               ClapSimEndpoint     endpoint);
ClapSimFault  _clap_sim_server_take_fault     (ClapSimServer      *self,
                                               ClapSimEndpoint     endpoint);
gboolean      _clap_sim_server_check_auth     (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               const char        **key);
char         *_clap_sim_server_data_path      (ClapSimServer      *self,
                                               const char         *subdir,
                                               const char         *name);
GSource      *_clap_sim_server_add_timeout    (ClapSimServer      *self,
                                               guint               ms,
                                               GSourceFunc         func,
                                               gpointer            data,
                                               GDestroyNotify      destroy);
void          _clap_sim_server_log_request    (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               guint               status);
void          _clap_sim_server_worker_begin   (ClapSimServer      *self);
void          _clap_sim_server_worker_end     (ClapSimServer      *self);
char         *_clap_sim_server_random_id      (const char         *prefix,
                                               guint               length);
void          _clap_sim_respond_envelope      (SoupServerMessage  *msg,
                                               guint               status,
                                               int                 code,
                                               const char         *text,
                                               JsonNode           *data);
void          _clap_sim_respond_error         (SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *format,
                                               ...) G_GNUC_PRINTF (3, 4);
void          _clap_sim_respond_success       (SoupServerMessage  *msg,
                                               JsonObject         *data);
void          _clap_sim_respond_storage_error (SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *code,
                                               const char         *message);
JsonObject   *_clap_sim_parse_json_object     (SoupServerMessage  *msg);
void          _clap_sim_remove_tree           (GFile              *file);

/* clap-sim-faults.c */
const char   *_clap_sim_fault_to_name         (ClapSimFault        fault);
gboolean      _clap_sim_fault_from_name       (const char         *name,
                                               ClapSimFault       *fault);
const char   *_clap_sim_endpoint_to_name      (ClapSimEndpoint     endpoint);
gboolean      _clap_sim_endpoint_from_name    (const char         *name,
                                               ClapSimEndpoint    *endpoint);
gboolean      _clap_sim_fault_answer          (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               ClapSimFault        fault);
gboolean      _clap_sim_fault_is_immediate    (ClapSimFault        fault);
void          _clap_sim_fault_finish          (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               ClapSimFault        fault,
                                               ClapSimHeld        *held);
ClapSimHeld  *_clap_sim_hold                  (ClapSimServer      *self,
                                               SoupServerMessage  *msg);
void          _clap_sim_release_all           (ClapSimServer      *self);
void          _clap_sim_keywords_parse        (const char         *prompt,
                                               ClapSimKeywords    *keywords);
void          _clap_sim_keywords_clear        (ClapSimKeywords    *keywords);

/* clap-sim-generations.c */
void          _clap_sim_generations_handler   (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
ClapSimTask  *_clap_sim_server_lookup_task    (ClapSimServer      *self,
                                               const char         *key);
ClapSimTask  *_clap_sim_server_lookup_task_id (ClapSimServer      *self,
                                               const char         *id);
void          _clap_sim_task_free             (ClapSimTask        *task);
const char   *_clap_sim_state_to_string       (ClapSimState        state);

/* clap-sim-dialect.c */
const char   *_clap_sim_dialect_to_name       (ClapSimDialect      dialect);
gboolean      _clap_sim_dialect_from_name     (const char         *name,
                                               ClapSimDialect     *dialect);
char         *_clap_sim_dialect_new_task_id   (ClapSimDialect      dialect);
void          _clap_sim_server_respond        (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               guint               status,
                                               int                 code,
                                               const char         *text,
                                               JsonNode           *data);
void          _clap_sim_server_respond_error  (ClapSimServer      *self,
                                               SoupServerMessage  *msg,
                                               guint               status,
                                               const char         *format,
                                               ...) G_GNUC_PRINTF (4, 5);
void          _clap_sim_server_respond_success (ClapSimServer     *self,
                                               SoupServerMessage  *msg,
                                               JsonObject         *data);
void          _clap_sim_dialect_respond_created (ClapSimServer    *self,
                                               SoupServerMessage  *msg,
                                               ClapSimTask        *task);
JsonObject   *_clap_sim_dialect_query_data    (ClapSimServer      *self,
                                               ClapSimTask        *task);
GBytes       *_clap_sim_dialect_callback_body (ClapSimServer      *self,
                                               ClapSimTask        *task);
char         *_clap_sim_task_result_url       (ClapSimServer      *self,
                                               ClapSimTask        *task);

/* clap-sim-files.c */
void          _clap_sim_files_handler         (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
void          _clap_sim_upload_early_handler  (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
void          _clap_sim_upload_handler        (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
void          _clap_sim_file_get_handler      (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
void          _clap_sim_results_handler       (SoupServer         *server,
                                               SoupServerMessage  *msg,
                                               const char         *path,
                                               GHashTable         *query,
                                               gpointer            user_data);
ClapSimFile  *_clap_sim_server_lookup_own_url (ClapSimServer      *self,
                                               GUri               *uri,
                                               gboolean           *is_own);
void          _clap_sim_file_free             (ClapSimFile        *file);
void          _clap_sim_upload_slot_free      (ClapSimUploadSlot  *slot);

/* clap-sim-callback.c */
void          _clap_sim_callback_start        (ClapSimServer      *self,
                                               ClapSimTask        *task);
void          _clap_sim_callback_cancel_all   (ClapSimServer      *self);

/* clap-sim-render.c: plain functions, safe to call from a worker thread */
gboolean      _clap_sim_render_video          (const ClapSimRenderSpec  *spec,
                                               const char               *path,
                                               GCancellable             *cancellable,
                                               GError                  **error);
gboolean      _clap_sim_render_thumbnail      (const ClapSimRenderSpec  *spec,
                                               const char               *path,
                                               GCancellable             *cancellable,
                                               GError                  **error);
gboolean      _clap_sim_probe_media           (const char               *path,
                                               ClapSimMediaInfo         *info,
                                               GError                  **error);
double        _clap_sim_measure_stream        (const char               *path,
                                               GCancellable             *cancellable);
void          _clap_sim_render_spec_copy      (const ClapSimRenderSpec  *src,
                                               ClapSimRenderSpec        *dest);
void          _clap_sim_render_spec_clear     (ClapSimRenderSpec        *spec);

G_END_DECLS
