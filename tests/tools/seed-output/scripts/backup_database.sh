#!/bin/bash
# scripts/backup_database.sh

set -e

# 配置变量
BACKUP_DIR="/backups/mysql"
DATE=$(date +%Y%m%d_%H%M%S)
BACKUP_FILE="ecommerce_backup_${DATE}.sql.gz"
RETENTION_DAYS=30

# 创建备份目录
mkdir -p $BACKUP_DIR

# 执行数据库备份
mysqldump \
  --host=${DB_HOST} \
  --user=${DB_USER} \
  --password=${DB_PASSWORD} \
  --single-transaction \
  --routines \
  --triggers \
  ecommerce | gzip > "${BACKUP_DIR}/${BACKUP_FILE}"

# 验证备份文件
if [ ! -f "${BACKUP_DIR}/${BACKUP_FILE}" ]; then
  echo "备份失败: 文件不存在"
  exit 1
fi

# 检查备份文件大小
file_size=$(stat -c%s "${BACKUP_DIR}/${BACKUP_FILE}")
if [ $file_size -lt 1000 ]; then
  echo "备份失败: 文件大小异常"
  exit 1
fi

# 清理旧备份
find $BACKUP_DIR -name "ecommerce_backup_*.sql.gz" -mtime +$RETENTION_DAYS -delete

echo "数据库备份完成: ${BACKUP_FILE}"
