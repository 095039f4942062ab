// The MSSD file schemas (Spotify Music Streaming Sessions Dataset, Sequential Skip
// Prediction Challenge). Readers check headers against these lists and the synthetic
// generator writes exactly these columns, in this order.

/** Session log `log_*.csv`: 21 columns. Booleans are `True` / `False`. */
export const LOG_COLUMNS = [
  "session_id",
  "session_position",
  "session_length",
  "track_id_clean",
  "skip_1",
  "skip_2",
  "skip_3",
  "not_skipped",
  "context_switch",
  "no_pause_before_play",
  "short_pause_before_play",
  "long_pause_before_play",
  "hist_user_behavior_n_seekfwd",
  "hist_user_behavior_n_seekback",
  "hist_user_behavior_is_shuffle",
  "hour_of_day",
  "date",
  "premium",
  "context_type",
  "hist_user_behavior_reason_start",
  "hist_user_behavior_reason_end",
] as const;

/** Track features `tf_*.csv`: 30 columns. `mode` is `major` / `minor`. */
export const TF_COLUMNS = [
  "track_id",
  "duration",
  "release_year",
  "us_popularity_estimate",
  "acousticness",
  "beat_strength",
  "bounciness",
  "danceability",
  "dyn_range_mean",
  "energy",
  "flatness",
  "instrumentalness",
  "key",
  "liveness",
  "loudness",
  "mechanism",
  "mode",
  "organism",
  "speechiness",
  "tempo",
  "time_signature",
  "valence",
  "acoustic_vector_0",
  "acoustic_vector_1",
  "acoustic_vector_2",
  "acoustic_vector_3",
  "acoustic_vector_4",
  "acoustic_vector_5",
  "acoustic_vector_6",
  "acoustic_vector_7",
] as const;

/** The 8 audio features the original project's intra-list diversity used. */
export const DIVERSITY_FEATURES = [
  "acousticness",
  "beat_strength",
  "bounciness",
  "danceability",
  "energy",
  "liveness",
  "speechiness",
  "valence",
] as const;

export const CONTEXT_TYPES = [
  "user_collection",
  "catalog",
  "editorial_playlist",
  "radio",
  "personalized_playlist",
  "charts",
] as const;

/**
 * The longest session_length the readers accept. MSSD sessions hold 10 to 20 tracks; the
 * bound keeps a corrupted length (up to 999,999,999 fits the field) from sizing the reader's
 * per-session buffers.
 */
export const MAX_SESSION_LENGTH = 1000;
