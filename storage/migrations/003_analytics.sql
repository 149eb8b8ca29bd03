CREATE TABLE oee_results (
    scope               text             NOT NULL,
    subject_id          text             NOT NULL,
    shift_name          text             NOT NULL,
    shift_start         timestamptz      NOT NULL,
    shift_end           timestamptz      NOT NULL,
    planned_busy_s      double precision NOT NULL,
    running_s           double precision NOT NULL,
    setup_s             double precision NOT NULL,
    breakdown_s         double precision NOT NULL,
    stop_s              double precision NOT NULL,
    idle_s              double precision NOT NULL,
    unknown_s           double precision NOT NULL,
    good_count          double precision NOT NULL,
    reject_count        double precision NOT NULL,
    ideal_output_s      double precision NOT NULL,
    availability        double precision NOT NULL,
    performance         double precision NOT NULL,
    quality             double precision NOT NULL,
    oee                 double precision NOT NULL,
    performance_flagged boolean          NOT NULL,
    computed_at         timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, subject_id, shift_start)
);

CREATE TABLE anomaly_scores (
    time          timestamptz      NOT NULL,
    machine_id    text             NOT NULL,
    score         double precision NOT NULL,
    contributions jsonb            NOT NULL,
    PRIMARY KEY (machine_id, time)
);
SELECT create_hypertable('anomaly_scores', by_range('time', INTERVAL '7 days'));
